// Reads wrangler.toml (the deployment config) and the dev vars, so the local stack is built from
// the same description production is.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";

export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

export function readWrangler() {
  return parse(readFileSync(join(ROOT, "wrangler.toml"), "utf8"));
}

/** KEY=VALUE lines; `#` comments; values may be double-quoted. */
export function parseDotenv(text) {
  const out = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    let value = line.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\n/g, "\n");
    out[line.slice(0, eq).trim()] = value;
  }
  return out;
}

/** `.dev.vars.example` holds working dev defaults; a developer's `.dev.vars` overrides them. */
export function readDevVars() {
  const base = parseDotenv(readFileSync(join(ROOT, ".dev.vars.example"), "utf8"));
  const local = join(ROOT, ".dev.vars");
  return existsSync(local) ? { ...base, ...parseDotenv(readFileSync(local, "utf8")) } : base;
}

/** The production host in a route pattern becomes "any host" locally. */
export function localRoute(pattern) {
  const slash = pattern.indexOf("/");
  return "*" + pattern.slice(slash);
}

/** Function names in the order the stack registers them; the catch-all function comes first. */
export function functionNames(wrangler) {
  const names = Object.keys(wrangler.env);
  const catchAll = names.find((n) =>
    (wrangler.env[n].routes ?? []).some((r) => r.pattern.endsWith(".example/*")),
  );
  return [catchAll, ...names.filter((n) => n !== catchAll)];
}
