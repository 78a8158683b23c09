// `npm run bench:probe`: workerd CPU per request for each piece of the booking path, on a fresh
// stack of its own: health, a POST refused before any work (no token), a submit refused at the
// booking window with tokens new to the isolate and then known to it, a submit refused as full
// (with tokens new to the isolate, then known),
// a booking made, its replay under the same key. Each line: req/s and workerd ms per request.
// Not a benchmark with targets (see run.mjs): a tool for deciding where a millisecond goes.
// The notices of the bookings made go through the queue consumer while the later phases run,
// so the phases after "bookings made" carry some of that work.
import { startBenchStack } from "./lib/stack.mjs";
import { load, envelopeCode } from "./lib/load.mjs";
import { identifiedPeople, publishPeriod, shanghaiDate, submission } from "./lib/people.mjs";

const ROOT = new URL("..", import.meta.url).pathname;
const PEOPLE = 400;
const say = (m) => console.error(`[probe] ${m}`);

const stack = await startBenchStack({ root: ROOT, say, tag: "probe" });
try {
  const people = await identifiedPeople(stack.url, { tag: "bench-probe", count: PEOPLE, net: 5, region: "330106", seq: 7, say });
  const date = shanghaiDate(3);
  await publishPeriod(stack.url, { office: "sz-futian", date, period: "probe-full", capacity: 0 });
  await publishPeriod(stack.url, { office: "sz-nanshan", date, period: "probe-open", capacity: PEOPLE });

  const submit = (phase, office, day, period) => (i) =>
    submission(people[i % PEOPLE], { office, date: day, period, key: `probe-${phase}-${i}-${process.pid}` });
  const phase = async (label, options) => {
    const r = await load({ connections: 20, classify: envelopeCode, url: `${stack.url}/v1/bookings`, method: "POST", ...options });
    const ms = (r.cpu.children.workerd * r.durationSec * 1000) / r.requests;
    console.log(`${label.padEnd(36)} ${String(Math.round(r.throughput_rps)).padStart(5)} req/s  workerd ${ms.toFixed(3)} ms/req  ${JSON.stringify(r.codes ?? r.statusCodes)}`);
  };

  await phase("GET /v1/health/book", { url: `${stack.url}/v1/health/book`, method: "GET", durationSec: 5 });
  await phase("POST without a token (401)", { amount: 4000, request: (i) => ({ body: submit("anon", "sz-futian", "2020-01-01", "x")(i).body }) });
  // Before any phase that verifies these tokens: a refusal as full does not check the
  // signature, so the tokens are still new to the isolate here.
  await phase("full period, tokens new to the isolate", { amount: PEOPLE, request: submit("full-new", "sz-futian", date, "probe-full") });
  await phase("past date, tokens new to the isolate", { amount: PEOPLE, request: submit("past", "sz-futian", "2020-01-01", "x") });
  await phase("past date, tokens known", { amount: 4000, request: submit("past-again", "sz-futian", "2020-01-01", "x") });
  await phase("full period", { amount: 4000, request: submit("full", "sz-futian", date, "probe-full") });
  // The same key twice: the second pass replays the first answers.
  const book = submit("book", "sz-nanshan", date, "probe-open");
  await phase("bookings made", { amount: PEOPLE, request: book });
  await phase("replays of them (same keys)", { amount: PEOPLE, request: book });
} finally {
  await stack.close();
}
