// Black-box helpers: every test talks HTTP to the stack started by scripts/with-stack.mjs.
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";

export const BASE = process.env.YUYUE_BASE_URL;
if (!BASE) throw new Error("YUYUE_BASE_URL is not set: run the suite through `make test`");
export const FAKES = process.env.YUYUE_FAKES_URL;

/** One request; resolves to { status, headers, body (parsed JSON or null), text }. */
export async function api(method, path, { body, headers = {}, token, raw } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    h["content-type"] ??= "application/json";
  }
  const res = await fetch(BASE + path, { method, headers: h, body: payload });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON: left null so the assertion on it fails visibly */
  }
  return { status: res.status, headers: res.headers, body: json, text };
}

/** Asserts the contract's error envelope with `code` and `status`. */
export function assertError(res, status, code) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.equal(res.body?.code, code, res.text);
  assert.equal(typeof res.body.message, "string");
  assert.ok(res.body.message.length > 0);
  assert.match(res.body.request_id, /^[A-Za-z0-9_-]{8,64}$/);
  assert.equal(res.headers.get("x-request-id"), res.body.request_id);
}

/** Asserts a success envelope and returns its data. */
export function assertOk(res, status = 200) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body?.code, "OK", res.text);
  assert.match(res.body.request_id, /^[A-Za-z0-9_-]{8,64}$/);
  return res.body.data;
}

/** The Workers' log lines so far, parsed (non-JSON lines skipped). */
export function stackLog() {
  const path = process.env.YUYUE_STACK_LOG;
  if (!path) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .flatMap((l) => {
      const i = l.indexOf("{");
      if (i < 0) return [];
      try {
        return [JSON.parse(l.slice(i))];
      } catch {
        return [];
      }
    });
}

/** Waits until the stack log has a line matching `pred` (log writes are asynchronous). */
export async function waitForLog(pred, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = stackLog().find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}
