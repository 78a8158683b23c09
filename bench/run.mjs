// `npm run bench` / `make bench`: the scenarios of bench/scenarios (health first, as the
// baseline), each on a fresh local stack of its own on a free loopback port with throw-away
// state (`--shared-stack`: one stack for all), a table on stdout, bench/results/latest.json,
// and nothing left running afterwards.
//
//   node bench/run.mjs [--scenario NAME]... [--duration SEC] [--warmup SEC] [--people N] [--rounds R] [--keep] [--shared-stack] [--results FILE] [--list]
import { parseArgs } from "node:util";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
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
      // People in a booking storm (bench/lib/storm.mjs); the scenario validates and defaults it.
      people: { type: "string" },
      // Storms per storm scenario (bench/lib/storm.mjs), likewise.
      rounds: { type: "string" },
      keep: { type: "boolean", default: false },
      // One stack for every scenario, in order, instead of a fresh stack per scenario.
      "shared-stack": { type: "boolean", default: false },
      // Where the JSON goes instead of bench/results/latest.json (bench/city-wave.mjs keeps one per size).
      results: { type: "string" },
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
    people: values.people === undefined ? undefined : Number(values.people),
    rounds: values.rounds === undefined ? undefined : Number(values.rounds),
    keep: values.keep,
    sharedStack: values["shared-stack"],
    results: values.results === undefined ? RESULTS : resolve(values.results),
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
    // What else the scenario wants recorded about its load (a storm: people, halls, date).
    ...(options.describe ?? {}),
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

/** "201 OK: 100, 409 SLOT_FULL: 1900" for a scenario that classifies its answers, most frequent first. */
function codesCell(codes) {
  if (!codes) return "";
  return Object.entries(codes)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
}

/** workerd CPU per answered request, in ms: the server's cost of a request, whatever the concurrency. */
function serverMsPerRequest(r) {
  const cores = r?.cpu?.children?.workerd;
  if (!cores || !r.requests) return null;
  return Math.round(((cores * r.durationSec) / r.requests) * 1000 * 1000) / 1000;
}

function printTable(records) {
  const fmt = (x, d = 2) => (x === null || x === undefined ? "" : Number(x).toFixed(d));
  const rows = records.map(({ name, result: r, vs_baseline: v, error }) =>
    error
      ? [name, "error", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""]
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
          r.unanswered,
          v ? `${fmt(v.throughput)}x` : "",
          v ? `${fmt(v.p50)}x` : "",
          v ? `${fmt(v.p99)}x` : "",
          aroundCell(r),
          r.cpu ? `${fmt(r.cpu.children.workerd ?? 0)} / ${fmt(r.cpu.self)} / ${fmt(r.cpu.others)}` : "",
          r.cpu ? fmt(r.cpu.stolen) : "",
          codesCell(r.codes),
        ],
  );
  console.log(
    markdownTable(
      ["scenario", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "non-2xx", "errors", "unanswered", "req/s vs health", "p50 vs health", "p99 vs health", "req/s vs health around it", "cores: workerd / node / others", "cores stolen", "answers (status code)"],
      rows,
      "lrrrrrrrrrrrrrrrl",
    ),
  );
  // Scenarios that name another to be compared with (storm-50 against storm), per request.
  const pairs = records.filter((x) => x.vs_compare);
  if (pairs.length) {
    console.log("");
    console.log(
      markdownTable(
        ["scenario", "vs", "req/s", "p50 ms", "p99 ms", "workerd ms/req", "vs: req/s", "vs: p50", "vs: p99", "vs: workerd ms/req"],
        pairs.map(({ name, result: r, vs_compare: c }) => {
          const other = records.find((x) => x.name === c.scenario).result;
          return [
            name,
            c.scenario,
            `${fmt(r.throughput_rps, 0)} / ${fmt(other.throughput_rps, 0)}`,
            `${fmt(r.latency.p50)} / ${fmt(other.latency.p50)}`,
            `${fmt(r.latency.p99)} / ${fmt(other.latency.p99)}`,
            `${fmt(serverMsPerRequest(r), 3)} / ${fmt(serverMsPerRequest(other), 3)}`,
            `${fmt(c.throughput)}x`,
            `${fmt(c.p50)}x`,
            `${fmt(c.p99)}x`,
            c.server_ms_per_request === null ? "" : `${fmt(c.server_ms_per_request)}x`,
          ];
        }),
        "llrrrrrrrr",
      ),
    );
  }
}

/**
 * A storm's rounds against the health measured right before and after each on the same stack:
 * "0.61x (0.48 0.61 0.66)", the median round first (see bench/lib/storm.mjs).
 */
function aroundCell(r) {
  if (!r.rounds) return r.health_around ? `${Number(r.health_around.throughput).toFixed(2)}x` : "";
  const all = r.rounds.map((x) => Number(x.health_around.throughput).toFixed(2)).join(" ");
  return `${Number(r.health_around.throughput).toFixed(2)}x (${all})`;
}

/** One scenario's record: what it ran, its numbers, their ratio to the baseline, any problem. */
async function runScenario(scenario, stack, ctx, base, prepareError) {
  say(`${scenario.name}: ${scenario.description}`);
  const record = { name: scenario.name, description: scenario.description };
  try {
    if (prepareError) throw prepareError;
    const options = await scenario.setup(stack, ctx);
    record.options = describeOptions(options);
    record.result = await scenario.run(options, ctx);
    record.vs_baseline = scenario.baseline ? null : versusBaseline(record.result, base);
    const others = record.result?.cpu?.others;
    if (others > 0.2) say(`${scenario.name}: other processes took ${others} cores meanwhile; its numbers are low`);
    const stolen = record.result?.cpu?.stolen;
    if (stolen > 0.2) say(`${scenario.name}: the hypervisor took ${stolen} of this VM's cores meanwhile (steal time)`);
    const problems = (await scenario.check?.(record.result, options)) ?? [];
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
    if (cli.help) console.log("usage: node bench/run.mjs [--scenario NAME]... [--duration SEC] [--warmup SEC] [--people N] [--rounds R] [--keep] [--shared-stack] [--results FILE] [--list]");
    for (const s of registry.scenarios) console.log(`${s.name.padEnd(16)} ${s.description}`);
    return 0;
  }
  const chosen = select(registry, cli.names);
  // The stack loads the wasm when it starts: record what was built then. A build finishing
  // during the run changes the files but not what the stack serves.
  const sizes = wasmSizes(ROOT);
  const unbuilt = sizes.filter((s) => s.raw === null).map((s) => s.name);
  if (unbuilt.length) throw new Error(`not built: ${unbuilt.join(", ")} (run: bash scripts/build.sh)`);

  const machine = machineInfo(ROOT);
  const records = [];
  let failed = false;
  const ctx = { durationSec: cli.durationSec, warmupSec: cli.warmupSec, people: cli.people, rounds: cli.rounds, say };
  say(`${chosen.map((s) => s.name).join(", ")}: warm-up ${cli.warmupSec}s, measure ${cli.durationSec}s each, ${cli.sharedStack ? "on one stack" : "each on a fresh stack"}`);
  // By default each scenario gets a stack of its own, started for it: what one scenario leaves
  // behind does not weigh on the next. Measured: a storm right after the baseline's ~25,000
  // health requests cost 1.46-1.61 ms of workerd CPU per submit, on a fresh stack 1.00-1.14
  // (workerd's memory grew from 186 to 515 MB over 45,000 health requests), and a storm's
  // confirmations and its held places' alarms land in whatever runs after it.
  const groups = cli.sharedStack ? [chosen] : chosen.map((s) => [s]);
  let base = null;
  for (const group of groups) {
    const stack = await startBenchStack({ root: ROOT, keep: cli.keep, say, tag: cli.sharedStack ? "" : group[0].name });
    try {
      say(`stack on ${stack.url} for ${group.map((s) => s.name).join(", ")}`);
      // Before any scenario sends a request: data the Workers would otherwise cache stale (the
      // catalog, 30 s per isolate), such as storm-50's extra halls.
      const prepareErrors = new Map();
      for (const scenario of group) {
        if (!scenario.prepare) continue;
        try {
          await scenario.prepare(stack, ctx);
        } catch (err) {
          prepareErrors.set(scenario.name, err);
        }
      }
      for (const scenario of group) {
        const record = await runScenario(scenario, stack, ctx, base, prepareErrors.get(scenario.name));
        if (scenario.baseline) base = record.result ?? null;
        if (record.error || record.problems) failed = true;
        records.push(record);
      }
    } finally {
      await stack.close();
    }
  }

  for (const record of records) {
    if (record.result) record.workerd_ms_per_request = serverMsPerRequest(record.result);
    const against = chosen.find((s) => s.name === record.name)?.compareTo;
    const other = records.find((x) => x.name === against);
    if (record.result && other?.result) {
      const a = serverMsPerRequest(record.result);
      const b = serverMsPerRequest(other.result);
      record.vs_compare = { scenario: against, ...versusBaseline(record.result, other.result), server_ms_per_request: a && b ? ratio(a, b) : null };
    }
  }
  const rebuilt = wasmSizes(ROOT)
    .filter((now) => now.built_at !== sizes.find((s) => s.name === now.name)?.built_at)
    .map((s) => s.name);
  if (rebuilt.length) say(`rebuilt during the run (the stack served the earlier build): ${rebuilt.join(", ")}`);
  printTable(records);
  const out = {
    machine,
    settings: { duration_sec: cli.durationSec, warmup_sec: cli.warmupSec, people: cli.people ?? null, baseline: registry.baseline.name },
    scenarios: records,
    wasm_sizes: sizes,
    ...(rebuilt.length ? { wasm_rebuilt_during_run: rebuilt } : {}),
  };
  mkdirSync(dirname(cli.results), { recursive: true });
  writeFileSync(cli.results, JSON.stringify(out, null, 2) + "\n");
  say(`wrote ${relative(ROOT, cli.results)}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err?.message ?? err);
    process.exit(1);
  },
);
