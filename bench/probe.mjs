// `npm run bench:probe`: workerd CPU per request for each piece of the booking path, on a fresh
// stack of its own: health, a POST refused before any work (no token), a submit refused at the
// booking window with tokens new to the isolate and then known to it, a submit refused as full
// (with tokens new to the isolate, then known), then submits that stop after each storage hop of
// a booking in turn, a booking made, and its replay under the same key. Each line: req/s and
// workerd ms per request. The hops' shares are worked out from the differences between those
// lines (`bench/lib/hops.mjs`) and printed at the end. Every phase runs twice, on inventory of
// its own each time: a warm-up pass, then the measured one. The first few hundred calls of a
// code path pay V8's compilation of its wasm and JavaScript (a one-off per isolate, priced by
// the difference between the passes), so without it a phase would be dearer for being the first
// to reach code, not for what it does: the booking itself is the first to write and confirm.
// Not a benchmark with targets (see run.mjs): a tool for deciding where a millisecond goes.
// Between phases the probe waits until workerd is idle, and what workerd spent after the
// bookings (notices through the queue, holds settled by the objects' alarms) is measured on its
// own and counted against the bookings in "all told".
// `-- --runs N` (default 1) runs it all N times, each on a fresh stack, and prints the table of
// each phase's median: a phase is a second or two of work, and one run's differences between
// phases are within the noise of a busy minute.
import { startBenchStack } from "./lib/stack.mjs";
import { load, envelopeCode } from "./lib/load.mjs";
import { cpuSnapshot, workerdMs } from "./lib/cpu.mjs";
import { hopShares, formatShares } from "./lib/hops.mjs";
import { medianPhases, runsOption } from "./lib/stats.mjs";
import { msPerRequest, quiesce } from "./lib/storm.mjs";
import { api, dataOf, identifiedPeople, publishPeriod, shanghaiDate, shanghaiIso, submission, OPS } from "./lib/people.mjs";

const ROOT = new URL("..", import.meta.url).pathname;
const PEOPLE = 400;
const say = (m) => console.error(`[probe] ${m}`);

/** Where a pass of the phases books: a measured pass and its warm-up each have their own. */
const PASSES = {
  // Its holds left to lapse do so in seconds (`x-dev-hold-seconds`), so that their alarms have
  // run before the measured pass starts.
  warmUp: { full: "bj-haidian", open: "sz-longgang", people: PEOPLE, tag: "warm", holdSeconds: 5 },
  measured: { full: "sz-futian", open: "sz-nanshan", people: 0, tag: "probe" },
};

/**
 * One run on a fresh stack: every phase once to warm up (each code path's first few hundred
 * calls pay V8's compilation of its wasm and JavaScript, a one-off per isolate), then every
 * phase again, measured. Resolves to { measured: { phase: { ms, codes, requests } }, warmUp }.
 */
async function probe() {
  const stack = await startBenchStack({ root: ROOT, say, tag: "probe" });
  try {
    const people = await identifiedPeople(stack.url, { tag: "bench-probe", count: 2 * PEOPLE, net: 5, region: "330106", seq: 7, say });
    const warmUp = await pass(stack, people, PASSES.warmUp, "warm-up (not measured)");
    await new Promise((r) => setTimeout(r, (PASSES.warmUp.holdSeconds + 5) * 1000));
    const measured = await pass(stack, people, PASSES.measured, "measured");
    return { measured, warmUp };
  } finally {
    await stack.close();
  }
}

/** Every phase once, on inventory of its own (`where`); { phase name: { ms, codes, requests } }. */
async function pass(stack, people, where, title) {
  console.log(`\n${title}`);
  const person = (i) => people[where.people + (i % PEOPLE)];
  const date = shanghaiDate(3);
  const period = (name) => `${where.tag}-${name}`;
  await publishPeriod(stack.url, { office: where.full, date, period: period("full"), capacity: 0 });
  await publishPeriod(stack.url, { office: where.open, date, period: period("open"), capacity: PEOPLE });
  const hopsDate = shanghaiDate(4);
  await publishPeriod(stack.url, { office: where.open, date: hopsDate, period: period("hops"), capacity: 4 * PEOPLE });
  // A waiting room nobody joined: every hold is refused by the object, which is all it does.
  const roomDate = shanghaiDate(5);
  await publishPeriod(stack.url, { office: where.open, date: roomDate, period: period("room"), capacity: PEOPLE });
  dataOf(
    await api(stack.url, "PUT", `/v1/ops/offices/${where.open}/days/${roomDate}/admission`, {
      headers: OPS,
      body: { enabled: true, opens_at: shanghaiIso(Date.now() - 60_000), batch_size: 10, batch_interval_seconds: 60, admitted_for_seconds: 600 },
    }),
    "waiting room",
  );

  const submit = (phase, office, day, periodId, { fault, othersApplicant, lapsing } = {}) => (i) => {
    const s = submission(person(i), { office, date: day, period: periodId, key: `${where.tag}-${phase}-${i}-${process.pid}` });
    if (othersApplicant) s.body.applicant_id = person(i + 1).applicantId;
    if (fault) s.headers["x-dev-fault"] = fault;
    if (lapsing && where.holdSeconds) s.headers["x-dev-hold-seconds"] = String(where.holdSeconds);
    return s;
  };
  const measured = {};
  const phase = async (label, name, options) => {
    await quiesce();
    const r = await load({ connections: 20, classify: envelopeCode, url: `${stack.url}/v1/bookings`, method: "POST", ...options });
    const ms = msPerRequest(r);
    if (name) measured[name] = { ms, codes: r.codes ?? {}, requests: r.requests };
    console.log(`${label.padEnd(44)} ${String(Math.round(r.throughput_rps)).padStart(5)} req/s  workerd ${ms.toFixed(3)} ms/req  ${JSON.stringify(r.codes ?? r.statusCodes)}`);
    return r;
  };

  await phase("GET /v1/health/book", "health", { url: `${stack.url}/v1/health/book`, method: "GET", durationSec: 5 });
  await phase("POST without a token (401)", null, { amount: 4000, request: (i) => ({ body: submit("anon", where.full, "2020-01-01", "x")(i).body }) });
  // Before any phase that verifies these tokens: a refusal as full does not check the
  // signature, so the tokens are still new to the isolate here.
  await phase("full period, tokens new to the isolate", null, { amount: PEOPLE, request: submit("full-new", where.full, date, period("full")) });
  await phase("past date, tokens new to the isolate", null, { amount: PEOPLE, request: submit("past", where.full, "2020-01-01", "x") });
  await phase("past date, tokens known", null, { amount: 4000, request: submit("past-again", where.full, "2020-01-01", "x") });
  await phase("full period", "refusal", { amount: 4000, request: submit("full", where.full, date, period("full")) });

  // One hop more at each step (bench/lib/hops.mjs says what each phase adds). The phases that
  // leave holds to lapse come last, so that their alarms run after everything measured.
  const hops = (name, options) => submit(name, where.open, hopsDate, period("hops"), options);
  await phase("hold refused by the waiting room", "asked", { amount: PEOPLE, request: submit("room", where.open, roomDate, period("room")) });
  await phase("record unreadable (hold given up)", "readLost", { amount: PEOPLE, request: hops("lost-read", { fault: "lose-read" }) });
  await phase("someone else's applicant (hold given up)", "checked", { amount: PEOPLE, request: hops("checked", { othersApplicant: true }) });

  // The same key twice: the second pass replays the first answers.
  const book = submit("book", where.open, date, period("open"));
  await phase("bookings made", "booked", { amount: PEOPLE, request: book });
  // The objects send their kept messages within half a second (NOTICE_BATCH_MS), then the
  // queue's consumer delivers them.
  const bookedAt = cpuSnapshot();
  await new Promise((r) => setTimeout(r, 1000));
  await quiesce();
  measured.afterwards = { ms: workerdMs(bookedAt, cpuSnapshot()) / PEOPLE };
  console.log(`${"after the bookings (notices, alarms)".padEnd(44)}              workerd ${measured.afterwards.ms.toFixed(3)} ms/booking`);
  await phase("replays of them (same keys)", "replayed", { amount: PEOPLE, request: book });

  await phase("write lost", "unwritten", { amount: PEOPLE, request: hops("unwritten", { fault: "lose-write", lapsing: true }) });
  await phase("someone else's applicant, hold kept", "unabandoned", { amount: PEOPLE, request: hops("unabandoned", { othersApplicant: true, fault: "lose-abandon", lapsing: true }) });

  console.log("");
  console.log(formatShares(hopShares(measured)));
  return measured;
}

const runs = runsOption(process.argv, 1);
const all = [];
for (let k = 0; k < runs; k++) {
  if (runs > 1) console.log(`\n--- run ${k + 1} of ${runs}`);
  all.push(await probe());
}
if (runs > 1) {
  console.log(`\n--- the median of each phase over ${runs} runs, warm-up passes`);
  console.log(formatShares(hopShares(medianPhases(all.map((r) => r.warmUp)))));
  console.log(`\n--- the median of each phase over ${runs} runs, measured passes`);
  console.log(formatShares(hopShares(medianPhases(all.map((r) => r.measured)))));
}
