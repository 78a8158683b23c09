// The configuration names three places must agree on: the Rust code that reads them, wrangler.toml
// that gives each function its vars and `secrets.required`, and README "Configuration" that says
// which function uses which and which are secrets. A value the code reads that a function's
// wrangler.toml lacks would fail that function's first request in production.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../config.mjs";
import { DEPLOY_VARS } from "./settings.mjs";

// How the code reads a value: `cx.config("X")`, `required_config("X")`, `secret_bytes("X")`, the
// template maps' `templates("X")`, and `config_of(env, "X")` / `base(cx, "X")`.
const ONE_ARG = /\b(?:config|required_config|secret_bytes|templates)\(\s*"([A-Z][A-Z0-9_]*)"/g;
const TWO_ARGS = /\b(?:config_of|base)\([^,()]*,\s*"([A-Z][A-Z0-9_]*)"/g;
// Any literal shaped like a configuration name; each must be a read above or a binding, so a
// new way of reading a value cannot slip past the patterns.
const NAME_LIKE = /"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"/g;
const NOT_CONFIG = new Set(["CARGO_PKG_VERSION"]);

function rustFiles(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? rustFiles(p) : p.endsWith(".rs") ? [p] : [];
  });
}

const withoutComments = (text) => text.replace(/^\s*\/\/.*$/gm, "");

/** { reads: Set, stray: [name] } of one source text; `bindings` are names that are not config. */
export function namesInRust(text, bindings = new Set()) {
  const code = withoutComments(text);
  const reads = new Set([...code.matchAll(ONE_ARG), ...code.matchAll(TWO_ARGS)].map((m) => m[1]));
  const stray = [...code.matchAll(NAME_LIKE)].map((m) => m[1]).filter((n) => !reads.has(n) && !bindings.has(n) && !NOT_CONFIG.has(n));
  return { reads, stray };
}

/** Every binding name wrangler.toml declares (they are read from env too, but are not values). */
export function bindingNames(wrangler) {
  const names = new Set();
  for (const c of Object.values(wrangler.env)) {
    for (const d of c.d1_databases ?? []) names.add(d.binding);
    for (const k of c.kv_namespaces ?? []) names.add(k.binding);
    for (const b of c.durable_objects?.bindings ?? []) names.add(b.name);
    for (const s of c.services ?? []) names.add(s.binding);
    for (const q of c.queues?.producers ?? []) names.add(q.binding);
  }
  return names;
}

/**
 * What the code reads: `shared` (the adapter's reads, used by whichever function calls into it),
 * `byFunction` (read in functions/<name>/src itself) and `stray` literals no pattern explains.
 */
export function namesReadByCode(wrangler, root = ROOT) {
  const bindings = bindingNames(wrangler);
  const scan = (dir) => {
    const reads = new Set();
    const stray = [];
    for (const f of rustFiles(dir)) {
      const found = namesInRust(readFileSync(f, "utf8"), bindings);
      found.reads.forEach((n) => reads.add(n));
      stray.push(...found.stray.map((n) => `${f.slice(root.length + 1)}: ${n}`));
    }
    return { reads, stray };
  };
  const adapter = scan(join(root, "adapter", "src"));
  const byFunction = {};
  const stray = [...adapter.stray];
  for (const fn of Object.keys(wrangler.env)) {
    const found = scan(join(root, "functions", fn, "src"));
    byFunction[fn] = found.reads;
    stray.push(...found.stray);
  }
  return { shared: adapter.reads, byFunction, stray };
}

/** README "Configuration" table rows: { names, usedBy: [function] | "all", secret }. */
export function readmeConfiguration(markdown) {
  const section = markdown.split(/^## /m).find((s) => s.startsWith("Configuration"));
  if (!section) throw new Error('README has no "## Configuration" section');
  return section
    .split("\n")
    .filter((l) => l.startsWith("| `"))
    .map((l) => {
      const [names, usedBy, what] = l.split(/(?<!\\)\|/).slice(1, 4).map((c) => c.trim());
      return {
        names: [...names.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]),
        usedBy: usedBy === "all" ? "all" : usedBy.split(",").map((f) => f.trim()),
        secret: what.includes("**secret.**"),
      };
    });
}

/** Everything the three disagree on, as sentences; [] when they agree. */
export function configurationProblems({ wrangler, code, readme }) {
  const problems = code.stray.map((s) => `${s} looks like a configuration name but is read in no way the check knows`);
  const envs = Object.keys(wrangler.env);
  const documented = new Map();
  for (const row of readme) for (const name of row.names) documented.set(name, { ...row, usedBy: row.usedBy === "all" ? envs : row.usedBy });
  const read = new Set([...code.shared, ...Object.values(code.byFunction).flatMap((s) => [...s])]);
  for (const name of read) if (!documented.has(name)) problems.push(`${name} is read by the code but not in README "Configuration"`);
  for (const [fn, names] of Object.entries(code.byFunction)) {
    for (const name of names) {
      if (documented.has(name) && !documented.get(name).usedBy.includes(fn)) problems.push(`functions/${fn} reads ${name}, but README does not list ${fn} as using it`);
    }
  }
  for (const [name, row] of documented) {
    for (const fn of row.usedBy) {
      const c = wrangler.env[fn];
      if (!c) {
        problems.push(`README lists ${fn} as using ${name}, but wrangler.toml has no such function`);
        continue;
      }
      const isVar = name in (c.vars ?? {});
      const isSecret = (c.secrets?.required ?? []).includes(name);
      if (!isVar && !isSecret && !DEPLOY_VARS.includes(name)) problems.push(`${fn}: ${name} is neither in its vars nor in its secrets.required`);
      if (row.secret && isVar) problems.push(`${fn}: ${name} is a secret but is in its vars`);
      if (!row.secret && isSecret) problems.push(`${fn}: ${name} is not a secret but is in its secrets.required`);
    }
  }
  for (const fn of envs) {
    const c = wrangler.env[fn];
    for (const name of [...Object.keys(c.vars ?? {}), ...(c.secrets?.required ?? [])]) {
      if (!documented.has(name)) problems.push(`${fn} declares ${name}, which README "Configuration" does not describe`);
      else if (!documented.get(name).usedBy.includes(fn)) problems.push(`${fn} declares ${name}, but README does not list ${fn} as using it`);
    }
  }
  return problems;
}

/** The check over this checkout. */
export function checkConfiguration(wrangler, root = ROOT) {
  return configurationProblems({
    wrangler,
    code: namesReadByCode(wrangler, root),
    readme: readmeConfiguration(readFileSync(join(root, "README.md"), "utf8")),
  });
}
