// What the black-box suite (tests/helpers.mjs) and the bench (bench/lib/people.mjs) both need to
// talk to a stack: one HTTP call, a bounded pool, valid ID numbers, the dev ops header, dates in
// Asia/Shanghai and publishing a day. Each takes the stack's base URL, so it serves the suite's
// stack and the one a bench run starts alike; and a free port, for a stack or an inspector.
import { createServer } from "node:net";

/** The dev stack's ops token (an admin of every hall; `.dev.vars` `OPS_CREDENTIALS`). */
export const OPS = { authorization: "Bearer dev-ops-token" };

/** The Asia/Shanghai calendar date `plus` days from `now` (ms since the epoch), YYYY-MM-DD. */
export function shanghaiDateAt(plus, now) {
  return new Date(now + 8 * 3600_000 + plus * 86_400_000).toISOString().slice(0, 10);
}

/** The Asia/Shanghai calendar date `plus` days from today. One argument, so `.map(shanghaiDate)` works. */
export function shanghaiDate(plus = 0) {
  return shanghaiDateAt(plus, Date.now());
}

/** Runs `fn(item, i)` over `items` with at most `width` in flight; the results in the items' order. */
export async function pool(items, width, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/** 17 digits with their GB 11643 check character (ID and permanent residence numbers). */
export function withCheck(first17) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i], 0);
  return first17 + "10X98765432"[sum % 11];
}

/** A valid 18-digit ID number born on `yyyymmdd`, sequence `seq` (mod 1000), region `region`. */
export function idNumber(yyyymmdd = "19900307", seq = 1, region = "110101") {
  return withCheck(`${region}${yyyymmdd}${String(seq % 1000).padStart(3, "0")}`);
}

/**
 * One request to the stack at `base`; resolves to { status, headers, body (parsed JSON or null),
 * text }. `raw` sends a body as it is. `retryOnReset`: retry (twice) a request whose keep-alive
 * connection the server closed just as it was reused, which undici will not retry itself for a
 * POST; only for steps that are safe to repeat, so a reset in what a test is about still fails it.
 */
export async function request(base, method, path, { body, headers = {}, token, raw, retryOnReset = false } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    h["content-type"] ??= "application/json";
  }
  let res;
  for (let attempt = 1; ; attempt++) {
    try {
      res = await fetch(base + path, { method, headers: h, body: payload });
      break;
    } catch (err) {
      const reset = err.cause?.code === "ECONNRESET" || err.cause?.code === "UND_ERR_SOCKET";
      if (!(retryOnReset && reset && attempt < 3)) {
        // undici hides the reason (reset, refused, timeout) in `cause`.
        throw new Error(`${method} ${path}: ${err.message}: ${err.cause?.code ?? err.cause?.message ?? "?"}`);
      }
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON: left null, so the caller's check on it fails visibly */
  }
  return { status: res.status, headers: res.headers, body: json, text };
}

/**
 * Publishes `periods` (the contract's `{period_id, start, end, capacity}`) at `office` on `date`
 * through ops, which also creates the (office, date) inventory object. A publish replaces the
 * day's periods. Resolves to the response.
 */
export function publish(base, { office, date, periods, headers = {} }) {
  return request(base, "POST", "/v1/ops/schedules", {
    headers: { ...OPS, ...headers },
    body: { office_id: office, date, periods },
  });
}

/** A loopback port nothing listens on now (for a stack or an inspector started on it next). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
