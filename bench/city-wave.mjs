// `npm run bench:city`: the city wave (bench/lib/city-wave.mjs) at 2,000, 5,000 and 20,000
// people, each a bench run of its own (`npm run bench -- --scenario city-wave --people N`: its
// own fresh stack, the health baseline first), then one table that sets the sizes side by side:
// workerd CPU per request against the smallest size's and against health's in the same run, and
// each kind of answer's p50/p99 against health's. Writes bench/results/city-wave.json (every
// run's whole JSON, and the comparison); exits non-zero if a run failed its checks.
//
//   node bench/city-wave.mjs [--sizes 2000,5000,20000] [--reuse]
//
// --reuse: no load, the comparison again from the runs kept in .yuyue/city-wave/<people>.json.
//
// CPU per request is workerd's from the release until it is idle again, over the wave's
// requests: at 20,000 the queue consumer delivers the 9,000 confirmations for some 20 s after
// the last answer (at 2,000 it keeps up inside the wave), so CPU up to the last answer alone
// would flatter the large wave. Both are in the JSON.
//
// One run per size, not the three sizes on one stack: what a run leaves behind (workerd's
// memory, the queue's confirmations, idle objects) would weigh on the next size and look like
// the growth of cost with load that this is meant to show.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { markdownTable } from "./lib/table.mjs";

const ROOT = join(import.meta.dirname, "..");
const OUT = join(ROOT, "bench", "results", "city-wave.json");
const RUNS = join(ROOT, ".yuyue", "city-wave");
/** Issue 24's goals: CPU per request at the largest size within 1.1x the smallest's; a refusal's p99 under 3x health's. */
const CPU_GROWTH_GOAL = 1.1;
const REFUSAL_P99_GOAL = 3;

const { values } = parseArgs({ options: { sizes: { type: "string", default: "2000,5000,20000" }, reuse: { type: "boolean", default: false } } });
const sizes = values.sizes.split(",").map(Number);
if (!sizes.length || sizes.some((n) => !Number.isInteger(n))) throw new Error("--sizes: people per run, e.g. 2000,5000,20000");

mkdirSync(RUNS, { recursive: true });
const runs = [];
for (const people of sizes) {
  const file = join(RUNS, `${people}.json`);
  let exit = 0;
  if (!values.reuse) {
    console.error(`[bench:city] ${people} people`);
    exit = spawnSync(process.execPath, ["bench/run.mjs", "--scenario", "city-wave", "--people", String(people), "--results", file], { cwd: ROOT, stdio: "inherit" }).status;
  }
  let run = null;
  try {
    run = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    // the run wrote nothing: it is recorded as failed
  }
  runs.push({ people, exit: run ? exit : null, run });
}

const ms = (x) => (x === null || x === undefined ? "" : Number(x).toFixed(3));
const r2 = (x) => (x === null || x === undefined ? "" : `${Number(x).toFixed(2)}x`);
const pair = (l) => (l ? `${Math.round(l.p50)} / ${Math.round(l.p99)}` : "");
const rows = runs.map(({ people, exit, run }) => {
  const rec = run?.scenarios.find((s) => s.name === "city-wave");
  const r = rec?.result;
  return { people, exit, r, problems: rec?.problems ?? (rec?.error ? [rec.error.split("\n")[0]] : r ? [] : ["no result"]) };
});
const smallest = rows.find((x) => x.r)?.r;
const r3 = (x) => Math.round(x * 1000) / 1000;
const comparison = rows.map(({ people, exit, r, problems }) => ({
  people,
  passed: exit === 0 && !problems.length,
  problems,
  ...(r
    ? {
        places: r.outcomes.booked,
        requests: r.requests,
        workerd_ms_per_request: r.workerd.ms_per_request_until_idle,
        workerd_ms_per_request_to_last_answer: r.workerd.ms_per_request,
        health_ms_per_request: r.workerd.health_ms_per_request,
        vs_health: r.workerd.until_idle_vs_health,
        vs_smallest: r3(r.workerd.ms_per_request_until_idle / smallest.workerd.ms_per_request_until_idle),
        vs_smallest_in_health_units: r3(r.workerd.until_idle_vs_health / smallest.workerd.until_idle_vs_health),
        vs_smallest_to_last_answer: r3(r.workerd.ms_per_request / smallest.workerd.ms_per_request),
        latency: r.classes,
        refusal_p99_vs_health_p99: r.vs_health.refused_full?.p99 ?? null,
        slot_reads_per_sec: { target: r.slot_reads.target_rps, got: r.slot_reads.throughput_rps },
        lost: r.lost,
        cores: r.cpu,
      }
    : {}),
}));
const largest = comparison.findLast((c) => c.workerd_ms_per_request);
const goals = {
  cpu_growth: largest?.vs_smallest ?? null,
  cpu_growth_in_health_units: largest?.vs_smallest_in_health_units ?? null,
  cpu_growth_met: largest ? largest.vs_smallest <= CPU_GROWTH_GOAL : null,
  refusal_p99_met: comparison.map((c) => ({ people: c.people, met: c.refusal_p99_vs_health_p99 === null ? null : c.refusal_p99_vs_health_p99 < REFUSAL_P99_GOAL })),
};

console.log(
  markdownTable(
    ["people", "checks", "requests", "workerd ms/req", "health ms/req", "vs health", "vs first size (in health units)", "to the last answer: ms/req, vs first", "booking p50 / p99 ms", "SLOT_FULL p50 / p99", "told to wait p50 / p99", "slot page p50 / p99", "health p50 / p99", "SLOT_FULL p99 / health p99", "slot pages/s (target)", "lost: submits sent again / slot reads", "cores: workerd / others / stolen"],
    comparison.map((c) => [
      c.people,
      c.passed ? "passed" : `FAILED (${c.problems.length})`,
      c.requests ?? "",
      ms(c.workerd_ms_per_request),
      ms(c.health_ms_per_request),
      r2(c.vs_health),
      c.vs_smallest === undefined ? "" : `${r2(c.vs_smallest)} (${r2(c.vs_smallest_in_health_units)})`,
      c.workerd_ms_per_request_to_last_answer === undefined ? "" : `${ms(c.workerd_ms_per_request_to_last_answer)}, ${r2(c.vs_smallest_to_last_answer)}`,
      pair(c.latency?.booking),
      pair(c.latency?.refused_full),
      pair(c.latency?.refused_waiting),
      pair(c.latency?.slot_read),
      pair(c.latency?.health),
      r2(c.refusal_p99_vs_health_p99),
      c.slot_reads_per_sec ? `${Math.round(c.slot_reads_per_sec.got)} (${c.slot_reads_per_sec.target})` : "",
      c.lost ? `${c.lost.submits_sent_again} / ${c.lost.slot_reads}` : "",
      c.cores ? `${c.cores.children.workerd ?? 0} / ${c.cores.others} / ${c.cores.stolen}` : "",
    ]),
    "llrrrrrrrrrrrrrrrr",
  ),
);
writeFileSync(OUT, JSON.stringify({ goals, comparison, runs }, null, 2) + "\n");
console.error(`[bench:city] wrote ${relative(ROOT, OUT)}`);
process.exit(comparison.every((c) => c.passed) ? 0 : 1);
