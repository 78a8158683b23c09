// Black-box helpers: every test talks HTTP to the stack started by scripts/with-stack.mjs.
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { publish as publishAt, request } from "./support.mjs";
import { readDevVars } from "../scripts/config.mjs";

export { OPS, idNumber, pool, shanghaiDate, withCheck } from "./support.mjs";

export const BASE = process.env.YUYUE_BASE_URL;
if (!BASE) throw new Error("YUYUE_BASE_URL is not set: run the suite through `make test`");
export const FAKES = process.env.YUYUE_FAKES_URL;

/** One request to the suite's stack, from a client address of its own (see `request`). */
export function api(method, path, { headers = {}, ...options } = {}) {
  // Without one, every call of every test file would come from the same address ("unknown" to
  // the functions), and booking submits are limited per client address: a burst in one file
  // could be refused for another file's submits in the same second.
  return request(BASE, method, path, { ...options, headers: { "cf-connecting-ip": clientIp(), ...headers } });
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

let loginSeq = 0;

/**
 * A client address of its own for each call, sent as the edge's `cf-connecting-ip`: logins are
 * rate-limited per client address, and every test of the suite would otherwise share one. An
 * IPv6 unique-local address with this process's id and the call's sequence in it, so no two
 * test files (each its own process) ever share one, however close in time they run.
 */
export function clientIp() {
  loginSeq += 1;
  return `fd00:${process.pid.toString(16)}::${loginSeq.toString(16)}`;
}

/** A WeChat `wx.login()` code for the fake user `name`: always fresh, since codes are single-use. */
export function wechatCode(name) {
  loginSeq += 1;
  return `dev-${name}~${process.pid}-${Date.now()}-${loginSeq}`;
}

async function loginWith(path, codeField, name) {
  const res = await api("POST", path, {
    body: { [codeField]: wechatCode(name) },
    headers: { "cf-connecting-ip": clientIp() },
    retryOnReset: true,
  });
  const data = assertOk(res);
  return { token: data.access_token, refresh: data.refresh_token, user: data.user, data };
}

/**
 * Logs the fake WeChat user `name` in (openid `wx-<name>`) and returns
 * `{ token, refresh, user, data }` — `token` for `api(..., { token })`.
 */
export const loginWechat = (name) => loginWith("/v1/auth/wechat", "code", name);

/** Logs the fake Alipay user `name` in (user id `ali-<name>`); the same shape as `loginWechat`. */
export const loginAlipay = (name) => loginWith("/v1/auth/alipay", "auth_code", name);

/**
 * Logs `name` in and completes real-name binding with `idNumber` (a valid 居民身份证号) and
 * `fullName`, through the face-verification fake: what booking and adding helpers require.
 */
export async function loginIdentified(name, idNumber, fullName = "张三", { platform = "wechat" } = {}) {
  const session = await (platform === "alipay" ? loginAlipay(name) : loginWechat(name));
  const res = await api("POST", "/v1/me/identity", {
    token: session.token,
    body: { name: fullName, id_number: idNumber, verify_token: "dev-ok" },
    retryOnReset: true,
  });
  const user = assertOk(res);
  return { ...session, user, applicantId: user.identity.applicant_id };
}

/**
 * `api()` over a fresh connection that closes after the answer (node:http, no agent). A wave of
 * thousands of submits sent through fetch's keep-alive pool would reuse connections the server
 * has just closed as idle; a fresh connection each is also what thousands of phones look like.
 */
export async function apiFresh(method, path, { body, headers = {}, token } = {}) {
  const { request } = await import("node:http");
  const url = new URL(BASE + path);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const h = { ...headers, connection: "close" };
  if (token) h.authorization = `Bearer ${token}`;
  if (payload !== undefined) {
    h["content-type"] = "application/json";
    h["content-length"] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: h, agent: false },
      (res) => {
        const chunks = [];
        const cut = () => reject(new Error(`${method} ${path}: the connection closed before the answer ended`));
        res.on("data", (c) => chunks.push(c));
        // A server killed while it writes the body (the crash test's SIGKILL) ends the answer
        // with neither `end` nor a request error: without these, the promise would never settle.
        res.on("error", cut);
        res.on("close", () => res.complete || cut());
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json = null;
          try {
            json = JSON.parse(text);
          } catch {
            /* left null */
          }
          resolve({ status: res.statusCode, headers: new Headers(res.headers), body: json, text });
        });
      },
    );
    req.on("error", (err) => reject(new Error(`${method} ${path}: ${err.code ?? err.message}`)));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Publishes `periods` at `office` on `date` (replacing the day's) and returns the day. */
export async function publish(office, date, periods, headers = {}) {
  return assertOk(await publishAt(BASE, { office, date, periods, headers }));
}

/** What the provider fakes recorded of `kind` (subscribe_messages, face_verifications, …). */
export async function records(kind) {
  const res = await fetch(`${FAKES}/__fakes/records?kind=${kind}`);
  return res.json();
}

/** The WeChat and Alipay template ids the local stack sends with, by kind (`.dev.vars.example`). */
export const WECHAT_TEMPLATES = JSON.parse(readDevVars().WECHAT_TEMPLATES);
export const ALIPAY_TEMPLATES = JSON.parse(readDevVars().ALIPAY_TEMPLATES);

/**
 * What WeChat's (Alipay's) servers record when the user `id` (an openid `wx-…`, or an Alipay
 * user id `ali-…`) accepts `templates` (by default every kind the stack sends) in the
 * mini-program's requestSubscribeMessage, `times` over: without it the fakes refuse their
 * messages (43101, USER_NOT_SUBSCRIBED), as the platforms do. More than once where a test checks
 * that a message is sent exactly once, so that a second one would arrive and be seen.
 */
export async function subscribe(id, { templates, times = 3 } = {}) {
  const alipay = id.startsWith("ali-");
  const res = await fetch(`${FAKES}/__fakes/${alipay ? "alipay" : "wechat"}/subscriptions`, {
    method: "POST",
    body: JSON.stringify({
      [alipay ? "user_id" : "openid"]: id,
      template_ids: templates ?? Object.values(alipay ? ALIPAY_TEMPLATES : WECHAT_TEMPLATES),
      times,
    }),
  });
  assert.equal(res.status, 200, await res.text());
}

/** Waits (polling the fake, never a fixed sleep) until `pred` holds for the records of `kind`. */
export async function until(kind, pred, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await records(kind);
    if (pred(all)) return all;
    if (Date.now() > deadline) return all;
    await new Promise((r) => setTimeout(r, 200));
  }
}
