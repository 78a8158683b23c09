// `npm run bench:isolates`: where a health request, a refusal as full and a booking spend their
// CPU, isolate by isolate (`bench/lib/isolates.mjs` says how an isolate's share is estimated):
// the book function and the inventory objects, which are what Cloudflare would count as our
// Worker's and Durable Objects' CPU, and Miniflare's D1 simulator and router, which stand in
// locally for Cloudflare's own database and front end. `bench:probe` prices the booking path's
// hops in workerd CPU; this says how much of each phase is our code at all.
// Each isolate is profiled in a phase of its own (one profiler at a time), after a warm-up of
// every phase; each booking phase books other people for places of its own. Prints ms per
// request, and each isolate's work in a booking by where its code comes from (our Rust, its
// glue, the runtime's JavaScript, native calls). `-- --frames N` also prints the N costliest
// frames of the book isolate in each phase; `-- --save DIR` writes every profile there
// (`<isolate>-<phase>.cpuprofile`, which Chrome's DevTools open).
import { startBenchStack } from "./lib/stack.mjs";
import { load, envelopeCode } from "./lib/load.mjs";
import { median } from "./lib/stats.mjs";
import { msPerRequest, quiesce } from "./lib/storm.mjs";
import { ISOLATES, profiled } from "./lib/isolates.mjs";
import { identifiedPeople, publishPeriod, shanghaiDate, submission } from "./lib/people.mjs";
import { markdownTable } from "./lib/table.mjs";
import { freePort } from "../tests/support.mjs";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const BOOKERS = 200;
const REFUSALS = 4000;
const say = (m) => console.error(`[isolates] ${m}`);
const at = process.argv.indexOf("--frames");
const FRAMES = at < 0 ? 0 : Number(process.argv[at + 1]);
const saveAt = process.argv.indexOf("--save");
const SAVE = saveAt < 0 ? null : process.argv[saveAt + 1];

if (SAVE) mkdirSync(SAVE, { recursive: true });
const port = await freePort();
const stack = await startBenchStack({ root: ROOT, say, tag: "isolates", inspectorPort: port });
try {
  const names = Object.keys(ISOLATES);
  // A group of bookers for the warm-up, and one for each isolate's booking phase.
  const people = await identifiedPeople(stack.url, { tag: "bench-isolates", count: (names.length + 1) * BOOKERS, net: 5, region: "330106", seq: 11, say });
  const date = shanghaiDate(3);
  await publishPeriod(stack.url, { office: "sz-futian", date, period: "iso-full", capacity: 0 });
  await publishPeriod(stack.url, { office: "sz-nanshan", date, period: "iso-open", capacity: (names.length + 1) * BOOKERS });

  let runs = 0;
  const phases = {
    health: () => load({ connections: 20, url: `${stack.url}/v1/health/book`, method: "GET", durationSec: 3 }),
    refusal: () => {
      const run = ++runs;
      return load({
        connections: 20,
        classify: envelopeCode,
        url: `${stack.url}/v1/bookings`,
        method: "POST",
        amount: REFUSALS,
        request: (i) => submission(people[i % BOOKERS], { office: "sz-futian", date, period: "iso-full", key: `iso-full-${run}-${i}-${process.pid}` }),
      });
    },
    booking: (group) =>
      load({
        connections: 20,
        classify: envelopeCode,
        url: `${stack.url}/v1/bookings`,
        method: "POST",
        amount: BOOKERS,
        request: (i) => submission(people[group * BOOKERS + i], { office: "sz-nanshan", date, period: "iso-open", key: `iso-book-${i}-${process.pid}` }),
      }),
  };
  const expected = { health: "200", refusal: "409 SLOT_FULL", booking: "201 OK" };
  const checked = (phase, r) => {
    const codes = r.codes ?? r.statusCodes;
    const wanted = codes[expected[phase]] ?? codes[Number(expected[phase])] ?? 0;
    if (wanted !== r.requests) throw new Error(`${phase}: ${JSON.stringify(codes)}, not all ${expected[phase]}`);
    return r;
  };

  say("warming every phase up");
  for (const phase of Object.keys(phases)) {
    await quiesce();
    checked(phase, await phases[phase](0));
  }

  const own = {};
  const workerd = {};
  const frames = {};
  const parts = {};
  for (const [k, name] of names.entries()) {
    for (const phase of Object.keys(phases)) {
      await quiesce();
      const { result, profile, ms, frames: f, parts: byPart } = await profiled(port, ISOLATES[name], () => phases[phase](k + 1));
      checked(phase, result);
      if (SAVE) writeFileSync(join(SAVE, `${name}-${phase}.cpuprofile`), JSON.stringify(profile));
      (own[name] ??= {})[phase] = ms / result.requests;
      (workerd[phase] ??= []).push(msPerRequest(result));
      if (name === "book") frames[phase] = Object.entries(f).map(([frame, t]) => [frame, t / result.requests]);
      if (phase === "booking" && ms > 0) parts[name] = Object.entries(byPart).map(([part, t]) => [part, t / ms]);
      say(`${name} in ${phase}: ${(ms / result.requests).toFixed(3)} ms a request`);
    }
  }

  const cols = Object.keys(phases);
  const f3 = (x) => x.toFixed(3);
  const rows = names.map((name) => [name, ...cols.map((p) => f3(own[name][p]))]);
  const ours = (p) => own.book[p] + own.objects[p];
  rows.push(["book + objects (ours)", ...cols.map((p) => f3(ours(p)))]);
  rows.push(["  against health's", ...cols.map((p) => `${(ours(p) / ours("health")).toFixed(2)}x`)]);
  rows.push(["workerd, all told (median)", ...cols.map((p) => f3(median(workerd[p])))]);
  console.log(`\nms of CPU per request, by isolate (V8 samples every 100 µs, one isolate profiled at a time)\n`);
  console.log(markdownTable(["isolate", ...cols], rows, "l" + "r".repeat(cols.length)));
  for (const [name, shares] of Object.entries(parts)) {
    console.log(`\n${name}'s work in a booking, by where the code comes from (share of its samples)`);
    for (const [part, share] of shares.sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  ${(100 * share).toFixed(1).padStart(5)} %  ${part}`);
  }
  if (FRAMES > 0) {
    for (const p of cols) {
      console.log(`\nthe book isolate's costliest frames in ${p} (ms per request)`);
      for (const [frame, t] of frames[p].sort((a, b) => b[1] - a[1]).slice(0, FRAMES)) console.log(`  ${t.toFixed(4)}  ${frame}`);
    }
  }
} finally {
  await stack.close();
}
