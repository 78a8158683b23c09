// `npm run bench:sizes`: each function's functions/<name>/build/index_bg.wasm, raw and gzipped
// (node:zlib, level 9), as a Markdown table. `--json` prints the same numbers as JSON.
import { join } from "node:path";
import { wasmSizes } from "./lib/sizes.mjs";
import { markdownTable } from "./lib/table.mjs";

const ROOT = join(import.meta.dirname, "..");
const sizes = wasmSizes(ROOT);
const missing = sizes.filter((s) => s.raw === null).map((s) => s.name);

if (process.argv.includes("--json")) {
  console.log(JSON.stringify(sizes, null, 2));
} else {
  const kib = (n) => (n === null ? "not built" : (n / 1024).toFixed(1));
  const rows = sizes.map((s) => [
    s.name,
    s.raw ?? "not built",
    kib(s.raw),
    s.gzip ?? "",
    s.gzip === null ? "" : kib(s.gzip),
    s.raw ? `${((s.gzip / s.raw) * 100).toFixed(1)}%` : "",
  ]);
  const built = sizes.filter((s) => s.raw !== null);
  const sum = (k) => built.reduce((a, s) => a + s[k], 0);
  if (built.length) rows.push(["**total**", sum("raw"), kib(sum("raw")), sum("gzip"), kib(sum("gzip")), ""]);
  console.log(
    markdownTable(["function", "raw bytes", "raw KiB", "gzip -9 bytes", "gzip KiB", "gzip/raw"], rows, "lrrrrr"),
  );
}
if (missing.length) {
  console.error(`not built: ${missing.join(", ")} (run: bash scripts/build.sh)`);
  process.exit(1);
}
