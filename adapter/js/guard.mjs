// The edge wrapper every function's Worker entry goes through. It owns the request id and turns
// a Rust panic (a wasm trap: the module aborts, so Rust cannot answer for itself) into the
// contract's `500 INTERNAL` envelope, logged with that request id. The module is re-initialised
// by worker-build's shim on the next request.
import { WorkerEntrypoint } from "cloudflare:workers";

const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/;

function newRequestId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function requestIdOf(request) {
  const given = request.headers.get("x-request-id");
  return given && REQUEST_ID.test(given) ? given : newRequestId();
}

function internalError(requestId) {
  return new Response(
    JSON.stringify({ code: "INTERNAL", message: "系统异常，请稍后再试", request_id: requestId }),
    {
      status: 500,
      headers: {
        "content-type": "application/json; charset=utf-8",
        "x-request-id": requestId,
        "cache-control": "no-store",
      },
    },
  );
}

// A panic inside an async handler traps in a microtask, so the handler's promise never settles;
// the trap surfaces only as the isolate's "error" event. A trap kills the wasm instance for every
// request in flight in this isolate, so each of them is answered (with 500) rather than left to hang.
const inflight = new Set();
addEventListener("error", (event) => {
  if (event.error instanceof WebAssembly.RuntimeError) {
    for (const fail of inflight) fail(event.error);
  }
});

function settleOnTrap(promise) {
  let fail;
  const trapped = new Promise((_, reject) => {
    fail = reject;
  });
  inflight.add(fail);
  return Promise.race([promise, trapped]).finally(() => inflight.delete(fail));
}

/** Wraps the worker-build entrypoint class `Inner` of function `name`. */
export function guard(Inner, name) {
  return class Guarded extends WorkerEntrypoint {
    async fetch(request) {
      const requestId = requestIdOf(request);
      const headers = new Headers(request.headers);
      headers.set("x-request-id", requestId);
      const forwarded = new Request(request, { headers });
      try {
        return await settleOnTrap(new Inner(this.ctx, this.env).fetch(forwarded));
      } catch (err) {
        console.error(
          JSON.stringify({
            level: "error",
            ts: new Date().toISOString(),
            request_id: requestId,
            function: name,
            event: "unhandled",
            // The panic message itself is printed by the Rust panic hook; keep the JS side to
            // the error's class so no request data can leak through here.
            error: err && err.name ? err.name : "Error",
            status: 500,
          }),
        );
        return internalError(requestId);
      }
    }

    async scheduled(controller) {
      const inner = new Inner(this.ctx, this.env);
      if (typeof inner.scheduled === "function") return inner.scheduled(controller);
    }

    async queue(batch) {
      const inner = new Inner(this.ctx, this.env);
      if (typeof inner.queue === "function") return inner.queue(batch);
    }
  };
}
