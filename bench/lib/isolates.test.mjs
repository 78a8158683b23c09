import { test } from "node:test";
import assert from "node:assert/strict";
import { ownWork, partOf } from "./isolates.mjs";

const node = (id, functionName, url = "", lineNumber = 0) => ({ id, callFrame: { functionName, url, lineNumber } });

test("an isolate's own work is its samples outside idle and root, each worth the interval", () => {
  const profile = {
    nodes: [node(1, "(root)"), node(2, "(idle)"), node(3, "(program)"), node(4, "fetch", "file:///w/adapter/js/guard.mjs", 54), node(5, "(garbage collector)")],
    // Time deltas are ignored: between two samples the thread may have run other isolates.
    timeDeltas: [0, 5_000, 100, 100, 100, 100, 100],
    samples: [1, 2, 3, 4, 4, 5, 4],
  };
  const w = ownWork(profile, 100);
  assert.equal(w.ms, 0.5);
  assert.deepEqual(w.frames, { "(program)": 0.1, "fetch js/guard.mjs:55": 0.3, "(garbage collector)": 0.1 });
  assert.deepEqual(w.parts, { "native: (program)": 0.1, "JavaScript: js/guard.mjs": 0.3, "native: (garbage collector)": 0.1 });
});

test("a frame's part is where its code comes from", () => {
  const f = (functionName, url) => ({ functionName, url });
  assert.equal(partOf(f("wasm-function[117]", "wasm://wasm/002ad546")), "our Rust (wasm)");
  assert.equal(partOf(f("__wbg_log_17c30ef363c61cf4", "file:///w/functions/book/build/index.js")), "wasm-bindgen glue");
  assert.equal(partOf(f("toJson", "cloudflare-internal:d1-api")), "the runtime's JavaScript (d1-api)");
  assert.equal(partOf(f("fetch", "")), "native: fetch");
  assert.equal(partOf(f("", "")), "native: (anonymous)");
});
