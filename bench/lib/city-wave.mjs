// The city wave (issue 24): one release across a whole city. N people (the issue's city:
// 20,000) over 50 halls × 6 periods whose places are 45 % of the crowd (9,000 at 20,000, 30 a
// period), the waiting room (排队, an admission lottery) on at every other hall, and the slot
// pages refreshed by a tenth of the people every second while the wave goes on. Every person
// submits once at the release; at a waiting-room hall whoever is told to wait (429, with a
// position) comes back at their turn, a batch at a time. Exactly the places are booked, and
// everyone else is told SLOT_FULL.
//
// The city is the same at every size: 50 halls, 300 periods, so the same objects and isolates;
// only the crowd and the places scale with N (capacity 3 a period at 2,000, 7-8 at 5,000, 30 at
// 20,000), so the mix of answers (45 % booked, 55 % refused, half the crowd behind a lottery,
// one slot-page read per person) is the same at each size and a change in workerd CPU per
// request is the load's, not the mix's.
//
// A waiting-room hall's submits carry the dev clock (`x-dev-now`): the first at the lottery's
// opening, and each later batch's at its turn. Whether a submit is in its turn then depends on
// the script, not on how long this machine takes to send 20,000 submits, so the lottery's
// order can be checked exactly. The header sets the business clock only (adapter/src/clock.rs).
import { load, summarize } from "./load.mjs";
import { cpuSnapshot, coresBetween, workerdMs } from "./cpu.mjs";
import { HEALTH_PATH, msPerRequest, quiesce, stormDates, warmBookingPath, WARM_PEOPLE } from "./storm.mjs";
import { OPS, api, dataOf, identifiedPeople, pool, publishDay, shanghaiIso, submission } from "./people.mjs";

export const HALLS = Array.from({ length: 50 }, (_, k) => `city-${String(k + 1).padStart(2, "0")}`);
export const PERIODS = ["cw-1", "cw-2", "cw-3", "cw-4", "cw-5", "cw-6"];
/** Where the booking path and the waiting room are warmed: halls of their own, so the wave's objects are new. */
const WARM_HALL = "city-warm";
const ROOM_WARM_HALL = "city-warm-room";
const ROOM_WARM_PEOPLE = 100;
/** Its first batch is half of them, and the period holds them all: the rest are told to wait, never SLOT_FULL. */
const ROOM_WARM_BATCH = 50;
/** The issue's city: 9,000 places for 20,000 people. */
const PLACES_PER_PERSON = 9_000 / 20_000;
const DEFAULT_PEOPLE = 2_000;
const MIN_PEOPLE = 1_000; // 450 places: at least one a period
const MAX_PEOPLE = 20_000;
const CONNECTIONS = 50;
/** Slot pages refreshed every second, per person; the wave's refreshes, N / 10 a second for 10 s. */
const REFRESH_SHARE = 0.1;
const WAVE_SEC = 10;
const BATCH_INTERVAL_SEC = 30;
const ADMITTED_FOR_SEC = 600;
/**
 * A wave's request waits this long for its answer (a phone would wait as long): with workerd's
 * one thread saturated by the bookings, requests queue for seconds (up to 4.4 s at 2,000 people),
 * and load()'s default 10 s would count the deeper queues of 20,000 as lost requests.
 */
const WAVE_TIMEOUT_SEC = 60;
/**
 * LOST: workerd's HTTP server (kj) closes a keep-alive connection when the next request has not
 * arrived 5 s after the last response (kj::HttpServerSettings::pipelineTimeout). With its one
 * thread saturated, a request already sent can sit unread that long; the connection is closed
 * with it unread, the client sees ECONNRESET, and no Worker ever sees the request (their log
 * has exactly the answers the client got). Seen from 5,000 people on, several connections at
 * once; a property of the local runtime under overload, not of the functions. A submit is sent
 * again under its key (up to ATTEMPTS sends); a lost slot read is counted, not sent again.
 */
const ATTEMPTS = 3;
/** workerd can stay busy long after a large wave (the confirmations' queue): wait this long for it to be idle. */
const IDLE_LIMIT_MS = 60_000;
/**
 * Connections for the slot pages' refreshes: enough for N / 10 a second at 100 ms a page, but
 * no more than the submits': once workerd's one thread is saturated (from 5,000 people on) more
 * connections add no pages a second (200 connections at 20,000: 209 pages/s), only a deeper
 * queue, and with it more requests lost (LOST).
 */
const refreshConnections = (n) => Math.min(CONNECTIONS, Math.max(10, Math.round(n * REFRESH_SHARE * 0.1)));
/** Hall 0, 2, 4, ... has the waiting room: 25 of the 50. */
export const hasRoom = (hall) => hall % 2 === 0;

const OK = "201 OK";
const FULL = "409 SLOT_FULL";
const WAITING = "429 RATE_LIMITED waiting";
const round3 = (x) => Math.round(x * 1000) / 1000;
const ratio = (a, b) => (b > 0 ? round3(a / b) : null);

/** The dev clock header's value for `ms` since the epoch: RFC 3339 in Asia/Shanghai. */

/** N: --people, else BENCH_CITY_PEOPLE, else 2,000. */
export function citySize(ctx) {
  const n = Number(ctx.people ?? process.env.BENCH_CITY_PEOPLE ?? DEFAULT_PEOPLE);
  if (!Number.isInteger(n) || n < MIN_PEOPLE || n > MAX_PEOPLE) {
    throw new Error(`city-wave: people (--people / BENCH_CITY_PEOPLE) must be an integer in [${MIN_PEOPLE}, ${MAX_PEOPLE}]`);
  }
  return n;
}

/**
 * The city for `people`: `places` (45 % of them) spread over 50 halls × 6 periods, the extra
 * places of an uneven split one a period, period by period over every hall, so every hall's day
 * holds the same number (± 1). `capacity(hall, period)`, `hallPlaces(hall)`.
 */
export function cityOf(people) {
  const places = Math.round(people * PLACES_PER_PERSON);
  const periods = HALLS.length * PERIODS.length;
  const base = Math.floor(places / periods);
  const extra = places % periods;
  const capacity = (hall, period) => base + (period * HALLS.length + hall < extra ? 1 : 0);
  const hallPlaces = (hall) => PERIODS.reduce((a, _, p) => a + capacity(hall, p), 0);
  return { people, places, capacity, hallPlaces };
}

/** Person i's hall and period (indexes): hall i % 50, period floor(i / 50) % 6, so every period has N / 300 people. */
export const seatOf = (i) => ({ hall: i % HALLS.length, period: Math.floor(i / HALLS.length) % PERIODS.length });

/**
 * What a waiting room's answers must be if places went in the lottery's order. `entries`, one
 * per person at the hall: { hall, period, position (drawn, from 1), joinOrder, outcome
 * ("booked" | "refused" | anything else), bookedIn (the batch whose turn the booking was made
 * in), waitedIn ([batches whose turn told them to wait]) }; `batchSizeOf(hall)`. Problems:
 *   - the draw did not give each who joined one position, 1..n;
 *   - someone booked in a batch before their own, or was told to wait in their own or later;
 *   - in a period someone of a later batch booked while someone of an earlier one was refused;
 *   - the earliest to join were drawn into the first batch far more often than chance (more than
 *     halfway from the chance share, batchSize / n, to all of them), as arrival order would.
 */
export function lotteryProblems(entries, batchSizeOf) {
  const problems = [];
  const byHall = Map.groupBy(entries, (e) => e.hall);
  let early = 0;
  let earlyDrawn = 0;
  let chance = 0;
  for (const [hall, es] of byHall) {
    const size = batchSizeOf(hall);
    const batch = (e) => Math.ceil(e.position / size);
    const positions = es.map((e) => e.position).sort((a, b) => a - b);
    if (!positions.every((p, k) => p === k + 1)) {
      problems.push(`${hall}: the ${es.length} who joined drew positions ${positions.slice(0, 5).join(", ")}…, not 1..${es.length}`);
      continue;
    }
    const ahead = es.filter((e) => e.outcome === "booked" && batch(e) > e.bookedIn);
    if (ahead.length) problems.push(`${hall}: ${ahead.length} booked before their batch's turn, e.g. position ${ahead[0].position} in batch ${ahead[0].bookedIn}'s`);
    const held = es.filter((e) => e.waitedIn.some((b) => b >= batch(e)));
    if (held.length) problems.push(`${hall}: ${held.length} told to wait in their own batch's turn, e.g. position ${held[0].position}`);
    for (const [period, ps] of Map.groupBy(es, (e) => e.period)) {
      const lastBooked = Math.max(0, ...ps.filter((e) => e.outcome === "booked").map(batch));
      const firstRefused = Math.min(Infinity, ...ps.filter((e) => e.outcome === "refused").map(batch));
      if (firstRefused < lastBooked) problems.push(`${hall} ${period}: batch ${lastBooked} booked while batch ${firstRefused} was refused`);
    }
    if (es.length > size) {
      const first = [...es].sort((a, b) => a.joinOrder - b.joinOrder).slice(0, size);
      early += first.length;
      earlyDrawn += first.filter((e) => e.position <= size).length;
      chance += (first.length * size) / es.length;
    }
  }
  if (early) {
    const share = earlyDrawn / early;
    const bound = (1 + chance / early) / 2;
    if (share > bound) problems.push(`${round3(share)} of the first to join were drawn into the first batch (chance ${round3(chance / early)}): arrival order, not a lottery`);
  }
  return problems;
}

/** `{ count, ...summarize }` of latencies, or null when there are none. */
const latencyOf = (values) => (values.length ? { count: values.length, ...summarize(values) } : null);

/** Turns the admission on (or moves its opening) at `office` on `date`. */
async function setRoom(base, office, date, { opensAtMs, batchSize }) {
  const res = await api(base, "PUT", `/v1/ops/offices/${office}/days/${date}/admission`, {
    headers: OPS,
    body: { enabled: true, opens_at: shanghaiIso(opensAtMs), batch_size: batchSize, batch_interval_seconds: BATCH_INTERVAL_SEC, admitted_for_seconds: ADMITTED_FOR_SEC },
  });
  return dataOf(res, `waiting room at ${office} on ${date}`).admission;
}

/** A hall as ops create it (PUT /v1/ops/offices/:id), in Shenzhen, offering passport. */
function hallBody(k) {
  return {
    city_id: "sz",
    name: `压测城市大厅${k}号`,
    district: "福田区",
    address: `福田区压测大道${k}号`,
    phone: "0755-83000000",
    opening_hours: "周一至周日 09:00-17:00",
    services: ["passport"],
  };
}

/**
 * Creates the city's halls through ops. The book and catalog functions cache the catalog for
 * 30 s per isolate, so this runs as `prepare`, before any request reaches them (run.mjs).
 */
async function createHalls(stack) {
  await pool([...HALLS, WARM_HALL, ROOM_WARM_HALL], 10, async (office, k) => {
    const res = await api(stack.url, "PUT", `/v1/ops/offices/${office}`, { headers: OPS, body: hallBody(k) });
    dataOf(res, `creating hall ${office}`, 201);
  });
}

/** The envelope of an answer, or null when the body is not JSON. */
function envelope(body) {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}

/** A submit's answer: "201 OK", "409 SLOT_FULL", "429 RATE_LIMITED waiting" (the waiting room), … */
function submitCode(status, body) {
  const e = envelope(body);
  const code = `${status} ${e?.code ?? "-"}`;
  return status === 429 && e?.details?.reason === "admission" ? `${code} ${e.details.admission}` : code;
}

/** A join's answer: "200 waiting" (the status it gives), or the error's code. */
function joinCode(status, body) {
  const e = envelope(body);
  return `${status} ${status === 200 ? e?.data?.status : e?.code ?? "-"}`;
}

/** Person `who`'s join of the waiting room of `office` on `date`. */
function joining(who, office, date) {
  return { headers: { authorization: `Bearer ${who.token}`, "cf-connecting-ip": who.ip }, body: { office_id: office, date } };
}

/** `s` (a submit) with the dev clock set to `at`. */
const at = (s, iso) => ({ ...s, headers: { ...s.headers, "x-dev-now": iso } });

/** Same keys, same counts. */
const sameCounts = (a = {}, b = {}) => Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/** Warms the waiting room's code (joins, the draw, a batch admitted, the rest told to wait) at a hall of its own. */
async function warmRoom(base, { date, people, tag, say }) {
  const period = "cw-warm-r";
  await publishDay(base, { office: ROOM_WARM_HALL, date, periods: [{ period, capacity: people.length }] });
  await setRoom(base, ROOM_WARM_HALL, date, { opensAtMs: Date.now() + 3600_000, batchSize: ROOM_WARM_BATCH });
  const joins = await load({
    url: `${base}/v1/bookings/admission`,
    method: "POST",
    connections: 20,
    amount: people.length,
    request: (i) => joining(people[i], ROOM_WARM_HALL, date),
    classify: joinCode,
  });
  const opensAtMs = Math.floor(Date.now() / 1000) * 1000;
  await setRoom(base, ROOM_WARM_HALL, date, { opensAtMs, batchSize: ROOM_WARM_BATCH });
  const submits = await load({
    url: `${base}/v1/bookings`,
    method: "POST",
    connections: 20,
    amount: people.length,
    request: (i) => at(submission(people[i], { office: ROOM_WARM_HALL, date, period, key: `${tag}-room-warm-${i}`, phoneSeq: i }), shanghaiIso(opensAtMs)),
    classify: submitCode,
  });
  const wantJoins = { "200 waiting": people.length };
  const wantSubmits = { [OK]: ROOM_WARM_BATCH, [WAITING]: people.length - ROOM_WARM_BATCH };
  if (!sameCounts(joins.codes, wantJoins) || !sameCounts(submits.codes, wantSubmits)) {
    throw new Error(`city-wave: waiting-room warm-up at ${ROOM_WARM_HALL}: joins ${JSON.stringify(joins.codes)}, submits ${JSON.stringify(submits.codes)}; expected ${JSON.stringify(wantJoins)}, ${JSON.stringify(wantSubmits)}`);
  }
  say(`warm-up: waiting room at ${ROOM_WARM_HALL}, ${people.length} joined, ${ROOM_WARM_BATCH} booked in the first batch, the rest told to wait`);
}

/** How many of n people submit at hall h. */
const crowdAt = (n, h) => Math.floor(n / HALLS.length) + (h < n % HALLS.length ? 1 : 0);

/**
 * The wave's submits, in rounds. Round 1: everyone at once, at a waiting-room hall with the dev
 * clock at the lottery's opening (only its first batch is admitted). Then, for as long as
 * anyone was told to wait, the next batch's turn: everyone waiting whose batch has come submits
 * again under the same key, with the dev clock at that turn.
 *
 * A submit lost with its connection (see LOST below) is sent again under its key, as a phone
 * would, at the same clock and before the next batch's turn, so that the lottery's order is
 * still the script's; at most ATTEMPTS sends a round. Resolves to { rounds (each send's load
 * result with `batch`, `attempt`, `business_time`), state (per person: outcome "booked" |
 * "refused" | "waiting" | another answer | null if never answered, position told, bookedIn,
 * waitedIn), outcomes (counts), resent (submits sent again) }.
 */
async function submitRounds({ url, people, submit, batchSize, tag }, opensAtMs) {
  const n = people.length;
  const state = people.map(() => ({ outcome: null, position: null, bookedIn: null, waitedIn: [] }));
  const batchOf = (i) => Math.ceil(state[i].position / batchSize(seatOf(i).hall));
  const lastBatch = Math.max(...HALLS.map((_, h) => (hasRoom(h) ? Math.ceil(crowdAt(n, h) / batchSize(h)) : 1)));
  const rounds = [];
  let resent = 0;
  let due = people.map((_, i) => i);
  for (let batch = 1; ; ) {
    const clock = shanghaiIso(opensAtMs + (batch - 1) * BATCH_INTERVAL_SEC * 1000);
    let sending = due;
    for (let attempt = 1; sending.length && attempt <= ATTEMPTS; attempt++) {
      const answered = new Set();
      const these = sending;
      const r = await load({
        url,
        method: "POST",
        connections: CONNECTIONS,
        amount: these.length,
        timeoutSec: WAVE_TIMEOUT_SEC,
        samples: true,
        request: (k) => {
          const i = these[k];
          const s = submit(i, `${tag}-${i}`);
          return hasRoom(seatOf(i).hall) ? at(s, clock) : s;
        },
        classify: (status, body, _headers, k) => {
          const code = submitCode(status, body);
          const st = state[these[k]];
          answered.add(these[k]);
          const position = code === WAITING ? envelope(body).details.position : null;
          if (code === OK) Object.assign(st, { outcome: "booked", bookedIn: batch });
          else if (code === FULL) st.outcome = "refused";
          else if (Number.isInteger(position) && position > 0) Object.assign(st, { outcome: "waiting", position, waitedIn: [...st.waitedIn, batch] });
          else st.outcome = code;
          return code;
        },
      });
      rounds.push({ batch, attempt, business_time: clock, ...r, workerd_ms_per_request: msPerRequest(r) });
      sending = these.filter((i) => !answered.has(i));
      if (attempt > 1) resent += these.length;
    }
    const still = state.map((_, i) => i).filter((i) => state[i].outcome === "waiting");
    if (!still.length || batch >= lastBatch + 1) break;
    const next = Math.max(batch + 1, Math.min(...still.map(batchOf)));
    due = still.filter((i) => batchOf(i) <= next);
    batch = next;
  }
  const outcomes = {};
  for (const st of state) outcomes[st.outcome] = (outcomes[st.outcome] ?? 0) + 1;
  return { rounds, state, outcomes, resent };
}

/** Each waiting-room person's drawn position, as `GET /v1/bookings/admission` tells them at the opening. */
async function positionsOf({ base, people, date }, roomPeople, opensAtMs) {
  const of = new Map();
  const r = await load({
    url: `${base}/v1/bookings/admission`,
    connections: CONNECTIONS,
    amount: roomPeople.length,
    request: (k) => {
      const who = people[roomPeople[k]];
      return {
        path: `/v1/bookings/admission?office_id=${HALLS[seatOf(roomPeople[k]).hall]}&date=${date}`,
        headers: { authorization: `Bearer ${who.token}`, "cf-connecting-ip": who.ip, "x-dev-now": shanghaiIso(opensAtMs) },
      };
    },
    classify: (status, body, _headers, k) => {
      if (status === 200) of.set(roomPeople[k], envelope(body)?.data?.position ?? null);
      return String(status);
    },
  });
  return { of, statusCodes: r.statusCodes, errors: r.errors, unanswered: r.unanswered };
}

/** Every (hall, period) as its object holds it with D1's count beside it, against the city's capacity. */
function inventoryOf(city, views) {
  const periods = views.flatMap((v, h) =>
    PERIODS.map((id, p) => {
      const got = v.periods.find((x) => x.period_id === id);
      return { office: HALLS[h], period: id, want: city.capacity(h, p), capacity: got?.capacity, taken: got?.taken, holds: got?.holds, d1_booked: got?.d1?.booked };
    }),
  );
  const off = periods.filter((x) => x.capacity !== x.want || x.taken !== x.want || x.holds !== 0 || x.d1_booked !== x.taken);
  const sum = (k) => periods.reduce((a, x) => a + (x[k] ?? 0), 0);
  return {
    periods: periods.length,
    capacity: sum("capacity"),
    taken: sum("taken"),
    holds: sum("holds"),
    d1_booked: sum("d1_booked"),
    periods_not_as_expected: off.length,
    ...(off.length ? { first_not_as_expected: off.slice(0, 5) } : {}),
  };
}

/** Everything the wave must end with that it does not. */
function problemsOf({ city, people }, { result, joins, wave, slotReads, positions, views, booked, roomPeople, statuses }) {
  const problems = [];
  const expect = (ok, what) => ok || problems.push(what);
  const json = (x) => JSON.stringify(x);
  const n = people.length;
  const server = Object.entries(statuses).filter(([s]) => Number(s) >= 500);
  expect(!server.length, `5xx answers: ${json(Object.fromEntries(server))}`);

  expect(sameCounts(joins.codes, { "200 waiting": roomPeople.length }), `joins: ${json(joins.codes)}, expected ${roomPeople.length} x "200 waiting"`);
  const o = wave.outcomes;
  expect(o.booked === city.places, `${o.booked ?? 0} people booked, expected exactly ${city.places}`);
  expect(o.refused === n - city.places, `${o.refused ?? 0} people refused SLOT_FULL, expected exactly ${n - city.places}`);
  const other = Object.entries(o).filter(([k]) => k !== "booked" && k !== "refused");
  expect(!other.length, `people left with another answer: ${other.map(([k, v]) => `${v} x ${k}`).join(", ")}`);
  // Submits lost with their connection were sent again (LOST): the outcomes above count them.
  // The joins run before the wave, on a workerd that keeps up: none may be lost.
  expect(!joins.errors && !joins.unanswered, `joins: ${joins.errors} errors, ${joins.unanswered} unanswered of ${joins.sent}`);
  expect(sameCounts(slotReads.codes, { "200 slot page": slotReads.requests }), `slot pages answered: ${json(slotReads.codes)}`);

  const inv = result.inventory;
  expect(inv.capacity === city.places && inv.taken === city.places, `the objects hold ${inv.taken} of ${inv.capacity} places, expected ${city.places} of ${city.places}`);
  expect(inv.d1_booked === inv.taken, `D1 counts ${inv.d1_booked} bookings, the objects ${inv.taken}`);
  expect(!inv.holds, `${inv.holds} unconfirmed holds left`);
  expect(!inv.periods_not_as_expected, `${inv.periods_not_as_expected} periods not full or not agreeing with D1: ${json(inv.first_not_as_expected)}`);
  const bookedNow = new Set(booked.map((b) => b.applicant_id));
  const answered = new Set(people.filter((_, i) => wave.state[i].outcome === "booked").map((p) => p.applicantId));
  expect(booked.length === city.places && bookedNow.size === booked.length, `D1 has ${booked.length} bookings of ${bookedNow.size} applicants, expected ${city.places}`);
  expect([...answered].every((a) => bookedNow.has(a)) && answered.size === bookedNow.size, `the people told 201 and D1's booked applicants differ (${answered.size} / ${bookedNow.size})`);
  const indexOf = new Map(people.map((p, i) => [p.applicantId, i]));
  const wrongSeat = booked.filter((b) => {
    const i = indexOf.get(b.applicant_id);
    return i === undefined || HALLS[seatOf(i).hall] !== b.office_id || PERIODS[seatOf(i).period] !== b.period_id;
  });
  expect(!wrongSeat.length, `${wrongSeat.length} bookings at a hall or period their applicant did not ask for`);

  // The waiting rooms: on where they should be, drawn, everyone who joined in them.
  views.forEach((v, h) => {
    const a = v.admission ?? {};
    if (hasRoom(h)) expect(a.enabled && a.drawn && a.joined === crowdAt(n, h), `${HALLS[h]}: waiting room ${json(a)}, expected drawn with ${crowdAt(n, h)} joined`);
    else expect(!a.enabled, `${HALLS[h]}: a waiting room where none was set`);
  });
  expect(sameCounts(positions.statusCodes, { 200: roomPeople.length }) && !positions.errors, `positions: ${json(positions.statusCodes)}`);
  const unlike = roomPeople.filter((i) => wave.state[i].position !== null && wave.state[i].position !== positions.of.get(i));
  expect(!unlike.length, `${unlike.length} people told one position when waiting and another after`);
  const outside = people.filter((_, i) => !hasRoom(seatOf(i).hall) && wave.state[i].waitedIn.length).length;
  expect(!outside, `${outside} people told to wait at a hall without a waiting room`);
  const entries = roomPeople.map((i) => {
    const { hall, period } = seatOf(i);
    const st = wave.state[i];
    return { hall: HALLS[hall], period: PERIODS[period], position: positions.of.get(i), joinOrder: i, outcome: st.outcome, bookedIn: st.bookedIn, waitedIn: st.waitedIn };
  });
  problems.push(...lotteryProblems(entries, (hall) => city.hallPlaces(HALLS.indexOf(hall))));
  return problems;
}

export const cityWave = {
  name: "city-wave",
  description: `N people (2,000; the issue's city: --people 20000) over ${HALLS.length} halls x ${PERIODS.length} periods, places 45 % of N, the waiting room at every other hall, slot pages refreshed by N/10 a second: exactly the places booked, the rest SLOT_FULL`,
  prepare: createHalls,

  async setup(stack, ctx) {
    const say = (m) => ctx.say(`city-wave: ${m}`);
    const n = citySize(ctx);
    const city = cityOf(n);
    const dates = stormDates();
    // Slot 5 (normally 6 days ahead): never the storms' (2, 3) or the waitlist storm's (4).
    const date = dates[5 % dates.length];
    const base = stack.url;
    const loggingInFrom = Date.now();
    const people = await identifiedPeople(base, { count: n, tag: "bench-city", net: 5, region: "440308", seq: 30, say });
    const warmers = await identifiedPeople(base, { count: WARM_PEOPLE + ROOM_WARM_PEOPLE, tag: "bench-city-warm", net: 6, region: "440309", seq: 33, say });
    const tag = `bench-city-${process.pid}`;
    const submit = (i, key, day = date) => {
      const { hall, period } = seatOf(i);
      return submission(people[i], { office: HALLS[hall], date: day, period: PERIODS[period], key, phoneSeq: i });
    };
    await warmBookingPath(base, { name: "city-wave", hall: WARM_HALL, date, period: "cw-warm", warmPeople: warmers.slice(0, WARM_PEOPLE), people, submit, connections: CONNECTIONS, tag, say });
    await warmRoom(base, { date, people: warmers.slice(WARM_PEOPLE), tag, say });
    // Every hall's slot page, before its day is published, as people wait for the release.
    const pages = await load({ url: `${base}/v1/offices/${HALLS[0]}/slots`, connections: 20, amount: 500, request: (i) => ({ path: `/v1/offices/${HALLS[i % HALLS.length]}/slots` }) });
    if (pages.non2xx || pages.errors || pages.unanswered) throw new Error(`city-wave: warm-up slot pages: ${JSON.stringify(pages.statusCodes)}, ${pages.errors} errors`);
    // The waiting rooms take joins well before the release; the release moves their opening to its own instant.
    const batchSize = (h) => city.hallPlaces(h);
    await pool(HALLS.map((_, h) => h).filter(hasRoom), 10, (h) => setRoom(base, HALLS[h], date, { opensAtMs: Date.now() + 3600_000, batchSize: batchSize(h) }));
    const settled = await quiesce();
    say(`set up: ${n} people, ${city.places} places; workerd ${settled.idle ? "idle" : "still busy"} after ${settled.waitedMs} ms`);
    return {
      url: `${base}/v1/bookings`,
      method: "POST",
      connections: CONNECTIONS,
      amount: n,
      describe: {
        people: n,
        halls: HALLS.length,
        periods_per_hall: PERIODS.length,
        places: city.places,
        capacity_per_period: [...new Set(HALLS.flatMap((_, h) => PERIODS.map((_, p) => city.capacity(h, p))))].sort((a, b) => a - b),
        waiting_room_halls: HALLS.filter((_, h) => hasRoom(h)).length,
        batch_size: batchSize(0),
        batch_interval_seconds: BATCH_INTERVAL_SEC,
        slot_refreshes: Math.round(n * REFRESH_SHARE) * WAVE_SEC,
        slot_refresh_rate: Math.round(n * REFRESH_SHARE),
        date,
      },
      base,
      stack,
      city,
      date,
      people,
      loggingInFrom,
      submit,
      batchSize,
      tag,
      say,
    };
  },

  async run(o) {
    const { base, city, date, people, batchSize, say } = o;
    const n = people.length;
    const roomPeople = people.map((_, i) => i).filter((i) => hasRoom(seatOf(i).hall));
    const statuses = {}; // every answer of every phase by HTTP status, for the 5xx check
    const count = (codes) => Object.entries(codes ?? {}).forEach(([s, v]) => (statuses[s] = (statuses[s] ?? 0) + v));

    // 1. Everyone at a waiting-room hall joins before the release, in index order (the check
    // that the draw is not arrival order relies on it).
    const joins = await load({
      url: `${base}/v1/bookings/admission`,
      method: "POST",
      connections: CONNECTIONS,
      amount: roomPeople.length,
      request: (k) => joining(people[roomPeople[k]], HALLS[seatOf(roomPeople[k]).hall], date),
      classify: joinCode,
    });
    count(joins.statusCodes);
    say(`joins: ${JSON.stringify(joins.codes)} in ${joins.durationSec.toFixed(1)} s, ${msPerRequest(joins)} ms of workerd CPU each`);
    await quiesce();
    const tokenAgeMin = (Date.now() - o.loggingInFrom) / 60_000;
    if (tokenAgeMin > 12) say(`the first access tokens are ${tokenAgeMin.toFixed(1)} min old at the release (they last 15)`);

    // 2. Health on the same stack, right before the release (and again after the wave).
    const health = () => load({ url: `${base}${HEALTH_PATH}`, connections: 20, durationSec: 2, samples: true });
    const before = await health();

    // 3. The release: every hall's day published and the lotteries' opening moved to now; at
    // once the wave, with the slot pages refreshed beside it.
    const opensAtMs = Math.floor(Date.now() / 1000) * 1000;
    await pool(HALLS, 10, (office, h) => publishDay(base, { office, date, periods: PERIODS.map((period, p) => ({ period, capacity: city.capacity(h, p) })) }));
    await pool(HALLS.map((_, h) => h).filter(hasRoom), 10, (h) => setRoom(base, HALLS[h], date, { opensAtMs, batchSize: batchSize(h) }));
    const waveStart = cpuSnapshot();
    const refreshRate = Math.round(n * REFRESH_SHARE);
    const refreshing = load({
      url: `${base}/v1/offices/${HALLS[0]}/slots`,
      // Enough to keep the rate while a page takes up to 100 ms: rate x 0.1 s.
      connections: refreshConnections(n),
      amount: refreshRate * WAVE_SEC,
      rate: refreshRate,
      timeoutSec: WAVE_TIMEOUT_SEC,
      request: (k) => ({ path: `/v1/offices/${HALLS[seatOf(k % n).hall]}/slots`, headers: { "cf-connecting-ip": people[k % n].ip } }),
      classify: (status) => (status === 200 ? "200 slot page" : String(status)),
      samples: true,
    });
    const wave = await submitRounds(o, opensAtMs);
    const slotReads = await refreshing;
    const waveEnd = cpuSnapshot();
    const settled = await quiesce({ limitMs: IDLE_LIMIT_MS });
    const idle = cpuSnapshot();
    const after = await health();
    for (const r of [...wave.rounds, slotReads, before, after]) count(r.statusCodes);
    say(
      `wave: ${JSON.stringify(wave.outcomes)} in ${wave.rounds.length} rounds (${wave.rounds.map((r) => JSON.stringify(r.codes)).join("; ")}); ` +
        `${slotReads.requests} slot pages at ${Math.round(slotReads.throughput_rps)}/s; workerd ${settled.idle ? "idle" : "still busy"} ${settled.waitedMs} ms later`,
    );

    // 4. What the waiting rooms, the objects and D1 hold now.
    const positions = await positionsOf(o, roomPeople, opensAtMs);
    count(positions.statusCodes);
    const views = await pool(HALLS, 10, async (office) => dataOf(await api(base, "GET", `/v1/ops/offices/${office}/days/${date}`, { headers: OPS }), `day view of ${office}`));
    const db = await o.stack.mf.getD1Database("DB", "yuyue-catalog");
    const { results: booked } = await db
      .prepare(`SELECT applicant_id, office_id, period_id FROM bookings WHERE date = ?1 AND status = 'booked' AND office_id IN (${HALLS.map((_, k) => `?${k + 2}`).join(", ")})`)
      .bind(date, ...HALLS)
      .all();

    // The row: every request of the wave (each round's submits and the slot reads), from the
    // release to the last answer; workerd's CPU also until it was idle again (confirmations).
    const loads = [...wave.rounds, slotReads];
    const all = loads.flatMap((r) => r.samples.all);
    const ofCode = (key) => wave.rounds.flatMap((r) => r.samples.byCode[key] ?? []);
    const sum = (f) => loads.reduce((a, r) => a + f(r), 0);
    const codes = {};
    for (const r of loads) for (const [k, v] of Object.entries(r.codes)) codes[k] = (codes[k] ?? 0) + v;
    const windowSec = (waveEnd.at - waveStart.at) / 1000;
    const cpu = coresBetween(waveStart, waveEnd);
    const windowMs = (cpu?.children?.workerd ?? 0) * windowSec * 1000;
    const idleMs = workerdMs(waveStart, idle);
    const healthMs = msPerRequest(before, after);
    const classes = {
      booking: latencyOf(ofCode(OK)),
      refused_full: latencyOf(ofCode(FULL)),
      refused_waiting: latencyOf(ofCode(WAITING)),
      slot_read: latencyOf(slotReads.samples.all),
      health: latencyOf([...before.samples.all, ...after.samples.all]),
    };
    const result = {
      requests: all.length,
      sent: sum((r) => r.sent),
      unanswered: sum((r) => r.unanswered),
      durationSec: round3(windowSec),
      throughput_rps: Math.round((all.length / windowSec) * 10) / 10,
      latency: summarize(all),
      non2xx: sum((r) => r.non2xx),
      errors: sum((r) => r.errors),
      timeouts: sum((r) => r.timeouts),
      statusCodes: Object.fromEntries(Object.entries(statuses).sort()),
      codes,
      cpu,
      client_loop_delay_ms: wave.rounds[0].client_loop_delay_ms,
      workerd: {
        ms_per_request: round3(windowMs / all.length),
        ms_per_request_until_idle: round3(idleMs / all.length),
        idle_after_ms: settled.waitedMs,
        health_ms_per_request: healthMs,
        vs_health: ratio(windowMs / all.length, healthMs),
        until_idle_vs_health: ratio(idleMs / all.length, healthMs),
      },
      classes,
      vs_health: Object.fromEntries(
        Object.entries(classes)
          .filter(([k, v]) => v && k !== "health")
          .map(([k, v]) => [k, { p50: ratio(v.p50, classes.health.p50), p99: ratio(v.p99, classes.health.p99) }]),
      ),
      health: Object.fromEntries(
        [["before", before], ["after", after]].map(([k, h]) => [k, { throughput_rps: h.throughput_rps, latency: h.latency, workerd_ms_per_request: msPerRequest(h), cpu: h.cpu }]),
      ),
      joins: { requests: joins.requests, throughput_rps: joins.throughput_rps, latency: joins.latency, codes: joins.codes, workerd_ms_per_request: msPerRequest(joins), vs_health: ratio(msPerRequest(joins), healthMs), cpu: joins.cpu },
      // Not `rounds`: run.mjs reads that as a storm's rounds, each against the health around it.
      turns: wave.rounds.map(({ samples: _, ...r }) => r),
      slot_reads: { requests: slotReads.requests, connections: refreshConnections(n), target_rps: refreshRate, throughput_rps: slotReads.throughput_rps, durationSec: slotReads.durationSec, latency: slotReads.latency, statusCodes: slotReads.statusCodes },
      outcomes: wave.outcomes,
      // Requests lost with their connection (LOST): submits sent again, slot reads not.
      lost: { submits: wave.rounds.reduce((a, r) => a + r.unanswered, 0), submits_sent_again: wave.resent, slot_reads: slotReads.unanswered, connection_errors: sum((r) => r.errors) },
      inventory: inventoryOf(city, views),
    };
    result.problems = problemsOf(o, { result, joins, wave, slotReads, positions, views, booked, roomPeople, statuses });
    return result;
  },

  check(result) {
    return result.problems ?? ["no result"];
  },
};
