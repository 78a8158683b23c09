// `npm run bench` / `make bench`: a fresh local stack on a free loopback port with throw-away
// state, the scenarios of bench/scenarios run against it (health first, as the baseline), a
// table on stdout, bench/results/latest.json, and nothing left running afterwards.
//
//   node bench/run.mjs [--scenario NAME]... [--duration SEC] [--warmup SEC] [--keep] [--list]
import { parseArgs } from "node:util";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { loadScenarios, select } from "./lib/registry.mjs";
import { machineInfo } from "./lib/machine.mjs";
import { wasmSizes } from "./lib/sizes.mjs";
import { startBenchStack } from "./lib/stack.mjs";
import { markdownTable } from "./lib/table.mjs";

const ROOT = join(import.meta.dirname, "..");
const RESULTS = join(ROOT, "bench", "results", "latest.json");
// Bounds keep a typo from turning into an hour of load on a shared 2-core machine.
const MAX_DURATION_SEC = 300;
const MAX_WARMUP_SEC = 60;

const say = (msg) => console.error(`[bench] ${msg}`);

function parseCli() {
  const { values } = parseArgs({
    options: {
      scenario: { type: "string", multiple: true, default: [] },
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "2" },
      keep: { type: "boolean", default: false },
      list: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const seconds = (flag, min, max) => {
    const n = Number(values[flag]);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${flag} must be a number of seconds in [${min}, ${max}]`);
    return n;
  };
  return {
    names: values.scenario,
    durationSec: seconds("duration", 1, MAX_DURATION_SEC),
    warmupSec: seconds("warmup", 0, MAX_WARMUP_SEC),
    keep: values.keep,
    list: values.list,
    help: values.help,
  };
}

/** The part of a scenario's options worth recording (functions such as `request` are not). */
function describeOptions(options) {
  const url = new URL(options.url);
  return {
    method: options.method ?? "GET",
    path: url.pathname + url.search,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : {}),
    ...(options.request ? { per_request: true } : {}),
  };
}

const ratio = (a, b) => (b > 0 ? Math.round((a / b) * 1000) / 1000 : null);

function versusBaseline(result, base) {
  if (!base || !result) return null;
  return {
    throughput: ratio(result.throughput_rps, base.throughput_rps),
    p50: ratio(result.latency.p50, base.latency.p50),
    p99: ratio(result.latency.p99, base.latency.p99),
  };
}

function printTable(records) {
  const fmt = (x, d = 2) => (x === null || x === undefined ? "" : Number(x).toFixed(d));
  const rows = records.map(({ name, result: r, vs_baseline: v, error }) =>
    error
      ? [name, "error", "", "", "", "", "", "", "", "", "", ""]
      : [
          name,
          r.requests,
          fmt(r.throughput_rps, 0),
          fmt(r.latency.p50),
          fmt(r.latency.p90),
          fmt(r.latency.p99),
          fmt(r.latency.max),
          r.non2xx,
          r.errors,
          v ? `${fmt(v.throughput)}x` : "",
          v ? `${fmt(v.p99)}x` : "",
          r.cpu ? `${fmt(r.cpu.children.workerd ?? 0)} / ${fmt(r.cpu.self)} / ${fmt(r.cpu.others)}` : "",
        ],
  );
  console.log(
    markdownTable(
      ["scenario", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "non-2xx", "errors", "req/s vs health", "p99 vs health", "cores: workerd / node / others"],
      rows,
      "lrrrrrrrrrrr",
    ),
  );
}

/** One scenario's record: what it ran, its numbers, their ratio to the baseline, any problem. */
async function runScenario(scenario, stack, ctx, base) {
  say(`${scenario.name}: ${scenario.description}`);
  const record = { name: scenario.name, description: scenario.description };
  try {
    const options = await scenario.setup(stack, ctx);
    record.options = describeOptions(options);
    record.result = await scenario.run(options, ctx);
    record.vs_baseline = scenario.baseline ? null : versusBaseline(record.result, base);
    const others = record.result?.cpu?.others;
    if (others > 0.2) say(`${scenario.name}: other processes took ${others} cores meanwhile; its numbers are low`);
    const problems = scenario.check?.(record.result, options) ?? [];
    if (problems.length) record.problems = problems;
    for (const p of problems) say(`${scenario.name}: ${p}`);
  } catch (err) {
    record.error = String(err?.stack ?? err);
    say(`${scenario.name} failed: ${err?.message ?? err}`);
  }
  return record;
}

async function main() {
  const cli = parseCli();
  const registry = await loadScenarios();
  if (cli.help || cli.list) {
    if (cli.help) console.log("usage: node bench/run.mjs [--scenario NAME]... [--duration SEC] [--warmup SEC] [--keep] [--list]");
    for (const s of registry.scenarios) console.log(`${s.name.padEnd(16)} ${s.description}`);
    return 0;
  }
  const chosen = select(registry, cli.names);
  const unbuilt = wasmSizes(ROOT).filter((s) => s.raw === null).map((s) => s.name);
  if (unbuilt.length) throw new Error(`not built: ${unbuilt.join(", ")} (run: bash scripts/build.sh)`);

  const machine = machineInfo(ROOT);
  const records = [];
  let failed = false;
  const stack = await startBenchStack({ root: ROOT, keep: cli.keep, say });
  try {
    say(`stack on ${stack.url}; ${chosen.map((s) => s.name).join(", ")}: warm-up ${cli.warmupSec}s, measure ${cli.durationSec}s each`);
    const ctx = { durationSec: cli.durationSec, warmupSec: cli.warmupSec, say };
    let base = null;
    for (const scenario of chosen) {
      const record = await runScenario(scenario, stack, ctx, base);
      if (scenario.baseline) base = record.result ?? null;
      if (record.error || record.problems) failed = true;
      records.push(record);
    }
  } finally {
    await stack.close();
  }

  printTable(records);
  const out = {
    machine,
    settings: { duration_sec: cli.durationSec, warmup_sec: cli.warmupSec, baseline: registry.baseline.name },
    scenarios: records,
    wasm_sizes: wasmSizes(ROOT),
  };
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify(out, null, 2) + "\n");
  say(`wrote ${relative(ROOT, RESULTS)}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err?.message ?? err);
    process.exit(1);
  },
);
