// The config wrangler deploys from: wrangler.toml with the account's resource ids, the operator's
// values and host, and the build's version, written as JSON under .yuyue/ (ignored by git), so no
// account id or operator value is ever committed. Its paths are relative to where it is written.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "../config.mjs";
import { kvTitle } from "./resources.mjs";

/** The host a route pattern serves (the part before the first `/`). */
export function routeHost(pattern) {
  return pattern.slice(0, pattern.indexOf("/"));
}

/**
 * `ids`: { d1: {database_name: uuid}, kv: {title: id} }, absent entries keep wrangler.toml's
 * placeholders; `site`: { host, zone } replaces every route's host and zone when given; `perEnv`:
 * settings.resolve(...).perEnv; `version`: the VERSION every Worker reports.
 */
export function generatedConfig(wrangler, { dir, ids = { d1: {}, kv: {} }, site, perEnv, version }) {
  const here = (p) => relative(dir, join(ROOT, p)) || ".";
  const env = {};
  for (const [name, c] of Object.entries(wrangler.env)) {
    const out = structuredClone(c);
    out.main = here(c.main);
    // wrangler runs the build command in `build.cwd` taken from its own working directory.
    if (out.build) out.build.cwd = ROOT;
    out.vars = { ...perEnv[name].vars, VERSION: version };
    for (const d of out.d1_databases ?? []) {
      d.database_id = ids.d1[d.database_name] ?? d.database_id;
      if (d.migrations_dir) d.migrations_dir = here(d.migrations_dir);
    }
    for (const k of out.kv_namespaces ?? []) k.id = ids.kv[kvTitle(wrangler, k.binding)] ?? k.id;
    if (site && out.routes) {
      out.routes = out.routes.map((r) => ({
        ...r,
        pattern: site.host + r.pattern.slice(routeHost(r.pattern).length),
        zone_name: site.zone,
      }));
    }
    env[name] = out;
  }
  return { ...structuredClone(wrangler), vars: { ...wrangler.vars, VERSION: version }, env };
}

export function writeGeneratedConfig(dir, config) {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "wrangler.json");
  writeFileSync(path, JSON.stringify(config, null, 2) + "\n");
  return path;
}
