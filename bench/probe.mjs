// `npm run bench:probe`: workerd CPU per request for each piece of the booking path, on a fresh
// stack of its own: health, a POST refused before any work (no token), a submit refused at the
// booking window with tokens new to the isolate and then known to it, a submit refused as full
// (with tokens new to the isolate, then known), then submits that stop after each storage hop of
// a booking in turn, a booking made, and its replay under the same key. Each line: req/s and
// workerd ms per request. The hops' shares are worked out from the differences between those
// lines (`bench/lib/hops.mjs`) and printed at the end.
// Not a benchmark with targets (see run.mjs): a tool for deciding where a millisecond goes.
// Between phases the probe waits until workerd is idle, and what workerd spent after the
// bookings (notices through the queue, holds settled by the objects' alarms) is measured on its
// own and counted against the bookings in "all told".
import { startBenchStack } from "./lib/stack.mjs";
import { load, envelopeCode } from "./lib/load.mjs";
import { cpuSnapshot, coresBetween } from "./lib/cpu.mjs";
import { hopShares, formatShares } from "./lib/hops.mjs";
import { quiesce } from "./lib/storm.mjs";
import { api, dataOf, identifiedPeople, publishPeriod, shanghaiDate, shanghaiIso, submission, OPS } from "./lib/people.mjs";

const ROOT = new URL("..", import.meta.url).pathname;
const PEOPLE = 400;
const say = (m) => console.error(`[probe] ${m}`);

/** workerd CPU seconds spent while `work` runs. */
async function workerdSeconds(work) {
  const before = cpuSnapshot();
  await work();
  const cores = coresBetween(before, cpuSnapshot());
  return (cores.children.workerd ?? 0) * ((performance.now() - before.at) / 1000);
}

/** Waits until no place of `period` is an unconfirmed hold (the object's alarm may confirm them). */
async function confirmed(base, office, date, period, maxSec = 180) {
  const started = performance.now();
  for (;;) {
    const day = dataOf(await api(base, "GET", `/v1/ops/offices/${office}/days/${date}`, { headers: OPS }), "the day's places");
    const p = day.periods.find((x) => x.period_id === period);
    if (p && p.holds === 0) return;
    if (performance.now() - started > maxSec * 1000) throw new Error(`${period}: ${p?.holds} holds still unconfirmed after ${maxSec} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const stack = await startBenchStack({ root: ROOT, say, tag: "probe" });
try {
  // Two crowds: one books normally, the other books with its confirmations lost; each person
  // may hold one active passport booking.
  const people = await identifiedPeople(stack.url, { tag: "bench-probe", count: PEOPLE, net: 5, region: "330106", seq: 7, say });
  const others = await identifiedPeople(stack.url, { tag: "bench-probe-b", count: PEOPLE, net: 6, region: "330106", seq: 8, say });
  const [one] = await identifiedPeople(stack.url, { tag: "bench-probe-z", count: 1, net: 7, region: "330106", seq: 9, say });
  const date = shanghaiDate(3);
  await publishPeriod(stack.url, { office: "sz-futian", date, period: "probe-full", capacity: 0 });
  await publishPeriod(stack.url, { office: "sz-nanshan", date, period: "probe-open", capacity: PEOPLE });
  const hopsDate = shanghaiDate(4);
  await publishPeriod(stack.url, { office: "sz-nanshan", date: hopsDate, period: "probe-hops", capacity: 4 * PEOPLE });
  // A waiting room nobody joined: every hold is refused by the object, which is all it does.
  const roomDate = shanghaiDate(5);
  await publishPeriod(stack.url, { office: "sz-nanshan", date: roomDate, period: "probe-room", capacity: PEOPLE });
  dataOf(
    await api(stack.url, "PUT", `/v1/ops/offices/sz-nanshan/days/${roomDate}/admission`, {
      headers: OPS,
      body: { enabled: true, opens_at: shanghaiIso(Date.now() - 60_000), batch_size: 10, batch_interval_seconds: 60, admitted_for_seconds: 600 },
    }),
    "waiting room",
  );

  const crowd = (who) => ({ b: others, z: [one] })[who] ?? people;
  const submit = (phase, office, day, period, { who, fault, applicantOf, ip } = {}) => (i) => {
    const c = crowd(who);
    const s = submission(c[i % c.length], { office, date: day, period, key: `probe-${phase}-${i}-${process.pid}` });
    if (applicantOf) s.body.applicant_id = crowd(applicantOf)[(i + 1) % PEOPLE].applicantId;
    if (fault) s.headers["x-dev-fault"] = fault;
    if (ip) s.headers["cf-connecting-ip"] = ip;
    return s;
  };
  const measured = {};
  const phase = async (label, name, options) => {
    await quiesce();
    const r = await load({ connections: 20, classify: envelopeCode, url: `${stack.url}/v1/bookings`, method: "POST", ...options });
    const ms = (r.cpu.children.workerd * r.durationSec * 1000) / r.requests;
    if (name) measured[name] = { ms, codes: r.codes ?? {}, requests: r.requests };
    console.log(`${label.padEnd(44)} ${String(Math.round(r.throughput_rps)).padStart(5)} req/s  workerd ${ms.toFixed(3)} ms/req  ${JSON.stringify(r.codes ?? r.statusCodes)}`);
    return r;
  };

  await phase("GET /v1/health/book", "health", { url: `${stack.url}/v1/health/book`, method: "GET", durationSec: 5 });
  await phase("POST without a token (401)", null, { amount: 4000, request: (i) => ({ body: submit("anon", "sz-futian", "2020-01-01", "x")(i).body }) });
  // Before any phase that verifies these tokens: a refusal as full does not check the
  // signature, so the tokens are still new to the isolate here.
  await phase("full period, tokens new to the isolate", null, { amount: PEOPLE, request: submit("full-new", "sz-futian", date, "probe-full") });
  await phase("past date, tokens new to the isolate", null, { amount: PEOPLE, request: submit("past", "sz-futian", "2020-01-01", "x") });
  await phase("past date, tokens known", null, { amount: 4000, request: submit("past-again", "sz-futian", "2020-01-01", "x") });
  await phase("full period", "refusal", { amount: 4000, request: submit("full", "sz-futian", date, "probe-full") });

  // One hop more at each step (bench/lib/hops.mjs says what each phase adds). The phases that
  // leave holds to lapse come last, so that their alarms run after everything measured.
  const hops = (phase, options) => submit(phase, "sz-nanshan", hopsDate, "probe-hops", options);
  await phase("hold refused by the waiting room", "asked", { amount: PEOPLE, request: submit("room", "sz-nanshan", roomDate, "probe-room") });
  // One user, already at the per-user limit: each submit a new number, so a hold taken.
  const overLimit = (phase) => (i) => {
    const s = submit(phase, "sz-nanshan", hopsDate, "probe-hops", { who: "z", applicantOf: "a" })(i);
    s.headers["cf-connecting-ip"] = `198.31.${i >> 8}.${i & 255}`;
    return s;
  };
  await load({ connections: 1, amount: 10, url: `${stack.url}/v1/bookings`, method: "POST", request: overLimit("z-warm") });
  await phase("one user over the limit (hold given up)", "userLimited", { amount: PEOPLE, request: overLimit("z") });
  await phase("one client address, limited (hold given up)", "limited", { amount: PEOPLE, request: hops("limited", { applicantOf: "a", ip: "198.30.0.1" }) });
  await phase("someone else's applicant (hold given up)", "checked", { amount: PEOPLE, request: hops("checked", { applicantOf: "a" }) });

  // The same key twice: the second pass replays the first answers.
  const book = submit("book", "sz-nanshan", date, "probe-open");
  await phase("bookings made", "booked", { amount: PEOPLE, request: book });
  const after = await workerdSeconds(async () => {
    await confirmed(stack.url, "sz-nanshan", date, "probe-open");
    await quiesce();
  });
  measured.afterwards = { ms: (after * 1000) / PEOPLE };
  console.log(`${"after the bookings (notices, alarms)".padEnd(44)}              workerd ${measured.afterwards.ms.toFixed(3)} ms/booking`);
  await phase("replays of them (same keys)", "replayed", { amount: PEOPLE, request: book });

  await phase("booked, confirmation lost", "unconfirmed", { amount: PEOPLE, request: hops("unconfirmed", { who: "b", fault: "lose-confirm" }) });
  await phase("write lost", "unwritten", { amount: PEOPLE, request: hops("unwritten", { fault: "lose-write" }) });
  await phase("someone else's applicant, hold kept", "unabandoned", { amount: PEOPLE, request: hops("unabandoned", { applicantOf: "a", fault: "lose-abandon" }) });

  console.log("");
  console.log(formatShares(hopShares(measured)));
} finally {
  await stack.close();
}
