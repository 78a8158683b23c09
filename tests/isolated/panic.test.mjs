// A panic in a handler: 500 INTERNAL with the request id, an error log line, and the function
// answering again. This runs on a stack of its own (see package.json `test:blackbox`): after a
// panic, workerd instantiates the function's wasm module afresh, and once in CI (workerd
// 1.20261117.1) the stack that went on serving the other suites after these probes hung at
// 100 % CPU inside V8's incremental sweeper, every request timing out. The other suites need
// not share that risk.
import { test } from "node:test";
import { api, assertError, assertOk, waitForLog } from "../helpers.mjs";
import assert from "node:assert/strict";

test("a panic in a handler becomes 500 INTERNAL, logged with the request id, and the function recovers", async () => {
  for (const fn of ["catalog", "book"]) {
    const rid = `panic-probe-${fn}-${Date.now()}`;
    const res = await api("GET", `/v1/health/${fn}/panic`, { headers: { "x-request-id": rid } });
    assertError(res, 500, "INTERNAL");
    assert.equal(res.body.request_id, rid);
    const line = await waitForLog((l) => l.request_id === rid && l.level === "error");
    assert.ok(line, `no error log line carries ${rid}`);
    const after = await api("GET", `/v1/health/${fn}`);
    assertOk(after);
  }
});
