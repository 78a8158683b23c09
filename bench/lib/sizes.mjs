// Per-function wasm size, raw and gzipped. The gzipped size approximates what a deploy uploads
// and what a cold isolate has to fetch and compile, so it is the one to watch as code grows.
import { readFileSync, readdirSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

/** [{ name, raw, gzip, built_at }] for every functions/<name> crate; nulls when not built. */
export function wasmSizes(root) {
  const dir = join(root, "functions");
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, "Cargo.toml")))
    .sort()
    .map((name) => {
      const wasm = join(dir, name, "build", "index_bg.wasm");
      if (!existsSync(wasm)) return { name, raw: null, gzip: null, built_at: null };
      const bytes = readFileSync(wasm);
      const { size, mtime } = statSync(wasm);
      // The stack serves what is built, not what is committed: the build time says which code ran.
      return { name, raw: size, gzip: gzipSync(bytes, { level: 9 }).length, built_at: mtime.toISOString() };
    });
}
