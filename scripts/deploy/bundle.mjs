// What `wrangler deploy --dry-run --outdir` wrote for one Worker: the bundle wrangler would upload.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** The names a bundled module exports (its last `export { a as B, … }` block). */
export function exportedNames(source) {
  const blocks = [...source.matchAll(/export\s*\{([^}]*)\}/g)];
  if (blocks.length === 0) return [];
  return blocks.at(-1)[1]
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => s.split(/\s+as\s+/).at(-1));
}

/**
 * Checks one bundle: an entry module with a default export, a wasm module, and an export for each
 * Durable Object class the Worker hosts (a missing one fails the upload). Returns a summary.
 */
export function inspectBundle(outdir, hostedClasses) {
  const entry = join(outdir, "entry.js");
  if (!existsSync(entry)) throw new Error(`${outdir}: no entry.js`);
  const names = exportedNames(readFileSync(entry, "utf8"));
  const problems = [];
  if (!names.includes("default")) problems.push("no default export");
  for (const c of hostedClasses) if (!names.includes(c)) problems.push(`class ${c} is not exported`);
  const wasm = readdirSync(outdir).filter((f) => f.endsWith(".wasm"));
  if (wasm.length !== 1) problems.push(`${wasm.length} wasm modules`);
  if (problems.length) throw new Error(`${outdir}: ${problems.join("; ")}`);
  return {
    entryBytes: statSync(entry).size,
    wasmBytes: statSync(join(outdir, wasm[0])).size,
    classes: [...hostedClasses],
  };
}
