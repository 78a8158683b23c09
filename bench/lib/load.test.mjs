// What the scenarios rely on load() for, checked against a recording HTTP server on 127.0.0.1:
//   node_modules/.bin/node --test bench/lib/*.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { load, envelopeCode } from "./load.mjs";

let server;
let base;
const seen = [];

before(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      // Every third request is "full", so the counts per status and per code can be checked.
      const n = Number(req.headers["x-n"] ?? 1);
      const full = n % 3 === 0;
      // x-slow-full: "full" answers wait that many ms, so their latency is told apart.
      const delay = full ? Number(req.headers["x-slow-full"] ?? 0) : 0;
      setTimeout(() => {
        res.writeHead(full ? 409 : 201, { "content-type": "application/json" });
        res.end(JSON.stringify({ code: full ? "SLOT_FULL" : "OK" }));
      }, delay);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => server.close());

test("amount: each request gets its own headers and body, once, and every response is counted", async () => {
  seen.length = 0;
  const r = await load({
    url: `${base}/v1/bookings?src=bench`,
    method: "POST",
    headers: { authorization: "Bearer default" },
    connections: 10,
    amount: 500,
    request: (i) => ({ headers: { "idempotency-key": `k-${i}`, "x-n": String(i) }, body: { i } }),
    classify: envelopeCode,
  });
  assert.equal(r.requests, 500);
  assert.equal(r.sent, 500);
  assert.equal(r.unanswered, 0);
  assert.equal(seen.length, 500);
  assert.equal(new Set(seen.map((s) => s.headers["idempotency-key"])).size, 500);
  for (const s of seen) {
    assert.equal(s.method, "POST");
    assert.equal(s.url, "/v1/bookings?src=bench");
    assert.equal(s.headers.authorization, "Bearer default");
    assert.equal(s.headers["content-type"], "application/json");
    assert.equal(JSON.parse(s.body).i, Number(s.headers["x-n"]));
  }
  const full = seen.filter((s) => Number(s.headers["x-n"]) % 3 === 0).length;
  assert.deepEqual(r.statusCodes, { 201: 500 - full, 409: full });
  assert.deepEqual(r.codes, { "201 OK": 500 - full, "409 SLOT_FULL": full });
  assert.equal(r.non2xx, full);
});

test("classify gets the index of the request it answers", async () => {
  const answered = new Map();
  await load({
    url: `${base}/x`,
    connections: 5,
    amount: 100,
    request: (i) => ({ headers: { "x-n": String(i) } }),
    classify: (status, _body, _headers, i) => void answered.set(i, status),
  });
  assert.equal(answered.size, 100);
  for (const [i, status] of answered) assert.equal(status, i % 3 === 0 ? 409 : 201);
});

test("latency_by_code: each answer's latency under its own key", async () => {
  const r = await load({
    url: `${base}/x`,
    connections: 6,
    amount: 120,
    request: (i) => ({ headers: { "x-n": String(i), "x-slow-full": "40" } }),
    classify: envelopeCode,
  });
  const byCode = r.latency_by_code;
  assert.deepEqual(Object.keys(byCode).sort(), ["201 OK", "409 SLOT_FULL"]);
  assert.equal(byCode["409 SLOT_FULL"].count, 40);
  assert.equal(byCode["201 OK"].count, 80);
  assert.ok(byCode["409 SLOT_FULL"].min >= 39, `slow answers: ${JSON.stringify(byCode["409 SLOT_FULL"])}`);
  assert.ok(byCode["201 OK"].p90 < 39, `fast answers: ${JSON.stringify(byCode["201 OK"])}`);
});

test("rate: paced over all connections", async () => {
  // 30 at 16 a second over 3 connections (6, 5, 5): the second half waits for the second second.
  const r = await load({ url: `${base}/x`, connections: 3, amount: 30, rate: 16 });
  assert.equal(r.requests, 30);
  assert.equal(r.sent, 30);
  assert.equal(r.unanswered, 0);
  assert.ok(r.durationSec >= 0.9, `durationSec ${r.durationSec}`);
});

test("duration: runs about that long and summarises latency", async () => {
  const r = await load({ url: `${base}/v1/health`, connections: 4, durationSec: 1 });
  assert.ok(r.requests > 0);
  assert.ok(r.durationSec >= 0.9 && r.durationSec < 1.5, `durationSec ${r.durationSec}`);
  assert.ok(r.unanswered <= 4);
  const { min, p50, p90, p99, max } = r.latency;
  assert.ok(min <= p50 && p50 <= p90 && p90 <= p99 && p99 <= max);
  assert.ok(r.throughput_rps > 0);
});

test("refuses any target that is not loopback", async () => {
  await assert.rejects(load({ url: "http://10.0.0.1/", durationSec: 1 }), /non-loopback/);
  await assert.rejects(load({ url: "http://example.com/", durationSec: 1 }), /non-loopback/);
});

test("envelopeCode reads the envelope and survives what is not one", () => {
  assert.equal(envelopeCode(201, '{"code":"OK","data":{}}'), "201 OK");
  assert.equal(envelopeCode(502, "<html>bad gateway</html>"), "502 -");
});
