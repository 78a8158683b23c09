// The ground every function stands on: one origin routed by path, health, the envelope for
// unknown paths and methods, request ids, and one structured log line per request.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, assertError, assertOk, stackLog, waitForLog } from "./helpers.mjs";

const FUNCTIONS = ["login", "catalog", "helper", "book", "waitlist", "cancel", "progress", "ops", "events", "notify"];

test("every function answers its health path on the shared origin", async () => {
  for (const fn of FUNCTIONS) {
    const res = await api("GET", `/v1/health/${fn}`);
    const data = assertOk(res);
    assert.equal(data.function, fn);
    assert.match(data.version, /^\d+\.\d+\.\d+/);
    assert.equal(data.status, "ok");
    assert.equal(res.headers.get("x-served-by"), fn);
  }
});

test("GET /v1/health answers on the origin", async () => {
  const data = assertOk(await api("GET", "/v1/health"));
  assert.ok(FUNCTIONS.includes(data.function));
});

test("paths reach the function that owns them, as production routes do", async () => {
  const owners = {
    "/v1/auth/wechat": "login",
    "/v1/me": "login",
    "/v1/me/identity": "login",
    "/v1/me/phone": "login",
    "/v1/services": "catalog",
    "/v1/offices/bj-chaoyang/slots": "catalog",
    "/v1/applicants": "helper",
    "/v1/me/helpers": "helper",
    "/v1/me/audit": "helper",
    "/v1/bookings": "book",
    "/v1/bookings/ABCD1234EFGH": "book",
    "/v1/waitlist": "waitlist",
    "/v1/waitlist/w_0123": "waitlist",
    "/v1/applications": "progress",
    "/v1/documents": "progress",
    "/v1/ops/metrics": "ops",
    "/v1/ops/offices/bj-chaoyang": "ops",
    "/v1/ops/applications/A20260101000001/events": "events",
    "/v1/no-such-thing": "catalog",
  };
  for (const [path, fn] of Object.entries(owners)) {
    const res = await api("PATCH", path);
    assert.equal(res.headers.get("x-served-by"), fn, path);
    assert.ok(res.status === 404 || res.status === 405, `${path}: ${res.status}`);
  }
});

test("cancel's path is handed from book to the cancel function", async () => {
  const res = await api("GET", "/v1/bookings/ABCD1234EFGH/cancel");
  assert.equal(res.headers.get("x-served-by"), "cancel");
});

test("a path no function owns is 404 NOT_FOUND in the envelope", async () => {
  for (const path of ["/", "/v2/bookings", "/v1/healthz", "/v1/%ff"]) {
    assertError(await api("GET", path), 404, "NOT_FOUND");
  }
});

test("a known path with the wrong method is 405 with Allow", async () => {
  const res = await api("DELETE", "/v1/health");
  assertError(res, 405, "METHOD_NOT_ALLOWED");
  assert.equal(res.headers.get("allow"), "GET");
});

test("request ids: a sane client id is kept, anything else replaced", async () => {
  const kept = await api("GET", "/v1/health", { headers: { "x-request-id": "client-abc-12345" } });
  assert.equal(kept.body.request_id, "client-abc-12345");
  assert.equal(kept.headers.get("x-request-id"), "client-abc-12345");

  const replaced = await api("GET", "/v1/health", { headers: { "x-request-id": "bad id; DROP" } });
  assert.notEqual(replaced.body.request_id, "bad id; DROP");
  assert.match(replaced.body.request_id, /^[A-Za-z0-9_-]{8,64}$/);

  const a = await api("GET", "/v1/health");
  const b = await api("GET", "/v1/health");
  assert.notEqual(a.body.request_id, b.body.request_id);
});

test("one structured log line per request with id, function, route, status and duration", async () => {
  const rid = `log-probe-${Date.now()}`;
  await api("GET", "/v1/health/progress", { headers: { "x-request-id": rid } });
  const line = await waitForLog((l) => l.request_id === rid);
  assert.ok(line, "request was not logged");
  assert.equal(line.function, "progress");
  assert.equal(line.route, "/v1/health/progress");
  assert.equal(line.status, 200);
  assert.equal(line.method, "GET");
  assert.equal(typeof line.duration_ms, "number");
  assert.equal(stackLog().filter((l) => l.request_id === rid && l.status !== undefined).length, 1);
});
