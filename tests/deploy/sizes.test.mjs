// Issue 24's budget: every function's wasm at most 300,000 bytes gzipped (what a deploy uploads
// and a cold isolate fetches), measured as `npm run bench:sizes` measures it, on the build
// `make test` has just made. The next feature in a function near the line comes with a cut.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { wasmSizes } from "../../bench/lib/sizes.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUDGET = 300_000;

test(`every function is built and at most ${BUDGET} bytes gzipped`, () => {
  const sizes = wasmSizes(ROOT);
  assert.ok(sizes.length >= 11, "every functions/<name> crate");
  const unbuilt = sizes.filter((s) => s.gzip === null).map((s) => s.name);
  assert.deepEqual(unbuilt, [], "run `make build` first");
  const over = sizes.filter((s) => s.gzip > BUDGET).map((s) => `${s.name}: ${s.gzip}`);
  assert.deepEqual(over, []);
});
