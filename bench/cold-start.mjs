// `npm run bench:cold`: each function's cold start, beside its size. For every function, R times
// (`--repeats R`, default 7): a fresh workerd (through Miniflare) holding that function alone, and
// the time from asking for it to its first answer to `GET /v1/health`. That span includes
// starting workerd itself, which is no part of a function's cost, so the same is measured for an
// empty JavaScript Worker in the same run, interleaved with the functions, and subtracted: what
// remains is the function's own cold start (its wasm compiled and instantiated, its module's
// top level run, its first request served). Medians, as the machine's two cores are shared.
// Prints a Markdown table and writes bench/results/cold-start.json.
import { Miniflare, Log, LogLevel } from "miniflare";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, readWrangler, readDevVars, functionNames } from "../scripts/config.mjs";
import { moduleOptions } from "../scripts/stack.mjs";
import { wasmSizes } from "./lib/sizes.mjs";
import { markdownTable } from "./lib/table.mjs";
import { median } from "./lib/stats.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const repeats = Number(arg("--repeats", "7"));
if (!Number.isInteger(repeats) || repeats < 1 || repeats > 50) {
  console.error("--repeats takes 1..50");
  process.exit(2);
}

const wrangler = readWrangler();
const devVars = readDevVars();
const EMPTY = "empty";

function worker(name) {
  if (name === EMPTY) {
    return { name, modules: true, script: 'export default { fetch() { return new Response("{}"); } };' };
  }
  // Health reads its configuration and nothing else: no storage binding is needed to answer.
  const env = wrangler.env[name];
  return { ...moduleOptions(name, env, wrangler), bindings: { ...(env.vars ?? {}), ...devVars, FUNCTION: name } };
}

/** Milliseconds from asking for a workerd with `name` alone to its first health answer. */
async function coldStart(name) {
  const started = performance.now();
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    log: new Log(LogLevel.NONE),
    // The function's request log line: read and dropped, so it costs the same in every run.
    handleRuntimeStdio: (stdout, stderr) => {
      stdout.resume();
      stderr.resume();
    },
    workers: [worker(name)],
  });
  try {
    const url = await mf.ready;
    const res = await fetch(new URL("/v1/health", url));
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${name}: health answered ${res.status}`);
    return performance.now() - started;
  } finally {
    await mf.dispose();
  }
}

const names = functionNames(wrangler).sort();
const times = Object.fromEntries([EMPTY, ...names].map((n) => [n, []]));
// Rounds, each over every function and the empty Worker in turn, so a slow minute of the machine
// lands on all of them alike rather than on whichever ran then.
await coldStart(EMPTY); // the first workerd of a run also pays for the disk cache: not counted
for (let r = 0; r < repeats; r++) {
  for (const n of [EMPTY, ...names]) times[n].push(await coldStart(n));
}

const base = median(times[EMPTY]);
const sizes = Object.fromEntries(wasmSizes(ROOT).map((s) => [s.name, s]));
const results = names.map((n) => ({
  name: n,
  gzip: sizes[n]?.gzip ?? null,
  raw: sizes[n]?.raw ?? null,
  built_at: sizes[n]?.built_at ?? null,
  first_answer_ms: median(times[n]),
  own_ms: median(times[n]) - base,
  runs_ms: times[n].map((t) => Math.round(t)),
}));
const fmt = (x) => x.toFixed(0);
console.log(
  markdownTable(
    ["function", "gzip bytes", "first answer, ms (median)", "minus empty Worker, ms", `runs, ms (${repeats})`],
    [
      [EMPTY, "", fmt(base), "0", times[EMPTY].map(fmt).join(" ")],
      ...results.map((r) => [r.name, r.gzip ?? "not built", fmt(r.first_answer_ms), fmt(r.own_ms), r.runs_ms.join(" ")]),
    ],
    "lrrrl",
  ),
);
mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
writeFileSync(
  join(ROOT, "bench", "results", "cold-start.json"),
  JSON.stringify({ at: new Date().toISOString(), repeats, empty_worker_ms: base, empty_runs_ms: times[EMPTY].map(Math.round), functions: results }, null, 2) + "\n",
);
