// The waitlist storm (issue 22): 2,000 people race for the 100 places of one hall's day (4
// periods of 25, person i for period i % 4), the 1,900 refused all join the waitlist (候补) of
// their period, a capacity raise serves 100 of them, and then 300 cancels (each followed by the
// canceller submitting again), 300 capacity raises and 300 submits by newcomers race. Every
// freed or added place must go to the earliest waiting entry of its period in the step that
// frees it, so every submit after the wave is told SLOT_FULL, and at the end the object and D1
// agree, no period is over its capacity, every served entry holds exactly one booking, and the
// entries served in each period are exactly the first to join it.
//
// What it measures, against the health baseline's request measured on the same stack just
// before: the workerd CPU of a join (the 1,900 joins, 50 connections) and of a serve (the
// object's alarm writing the raise's 100 bookings, from the publish until D1 has them all).
import { load, envelopeCode } from "./load.mjs";
import { cpuSnapshot, workerdMs } from "./cpu.mjs";
import { HEALTH_PATH, msPerRequest, quiesce, stormDates } from "./storm.mjs";
import { OPS, api, dataOf, identifiedPeople, pool, publishDay, submission } from "./people.mjs";

const HALL = "sz-longgang";
/** Warms the waitlist's code (join, serve, cancel) at a (hall, date) object of its own. */
const WARM_HALL = "hz-xihu";
const PERIODS = ["wl-s1", "wl-s2", "wl-s3", "wl-s4"];
const CAPACITY = 25;
const PEOPLE = 2000;
const PLACES = PERIODS.length * CAPACITY;
/** Places the serve burst adds to every period. */
const BURST = 25;
/** Cancels, raises and newcomers' submits in the race, each. */
const RACE = 300;
/** Cancels and newcomers in flight at once, and how far they may run ahead of the raises. */
const RACE_WIDTH = 8;
const WARM_PEOPLE = 100;
const WARM_CAPACITY = 10;
const CONNECTIONS = 50;
const SETTLE_MS = 60_000;
const FULL = "409 SLOT_FULL";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round3 = (x) => Math.round(x * 1000) / 1000;

/** The D1 every function binds as DB. */
const record = (stack) => stack.mf.getD1Database("DB", "yuyue-catalog");

/** A join of `period` by `who` (the body of their submit, `period_ids` for `period_id`). */
function joining(who, { office, date, period, key, phoneSeq }) {
  const { headers, body } = submission(who, { office, date, period, key, phoneSeq });
  const { period_id: _, agree_terms: __, ...rest } = body;
  return { method: "POST", path: "/v1/waitlist", headers, body: { ...rest, period_ids: [period] } };
}

/** Polls `probe` until it returns something truthy; throws after `ms`. */
async function until(what, probe, ms = SETTLE_MS, every = 200) {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`waitlist-storm: ${what} not reached in ${ms / 1000} s`);
    await sleep(every);
  }
}

export const waitlistStorm = {
  name: "waitlist-storm",
  description: `${PEOPLE} people for ${PLACES} places (${PERIODS.length} periods of ${CAPACITY}), the ${PEOPLE - PLACES} refused join the waitlist; a raise serves ${PERIODS.length * BURST}; ${RACE} cancels + re-submits race ${RACE} raises and ${RACE} new submits`,

  async setup(stack, ctx) {
    const say = (m) => ctx.say(`waitlist-storm: ${m}`);
    const dates = stormDates();
    // Slot 4 (normally 5 days ahead): never the day of storm (2) or storm-50 (3).
    const date = dates[4 % dates.length];
    const everyone = await identifiedPeople(stack.url, { count: PEOPLE + RACE + WARM_PEOPLE, tag: "bench-wl", net: 4, region: "440307", seq: 25, say });
    const crowd = everyone.slice(0, PEOPLE);
    const newcomers = everyone.slice(PEOPLE, PEOPLE + RACE);
    const warmers = everyone.slice(PEOPLE + RACE);
    const tag = `bench-wl-${process.pid}`;
    await warmUp(stack, { date, people: warmers, tag, say });
    return {
      url: `${stack.url}/v1/waitlist`,
      method: "POST",
      connections: CONNECTIONS,
      amount: PEOPLE - PLACES,
      describe: { people: PEOPLE, places: PLACES, hall: HALL, date, period_ids: PERIODS, burst: PERIODS.length * BURST, race: RACE },
      stack,
      date,
      crowd,
      newcomers,
      tag,
      say,
    };
  },

  async run(options) {
    const { stack, date, crowd, newcomers, tag, say } = options;
    const base = stack.url;
    const capacities = PERIODS.map(() => CAPACITY);
    const publish = () => publishDay(base, { office: HALL, date, periods: PERIODS.map((period, k) => ({ period, capacity: capacities[k] })) });
    const periodOf = (i) => PERIODS[i % PERIODS.length];
    const statuses = {}; // every answer of every phase, by HTTP status
    const count = (status) => (statuses[status] = (statuses[status] ?? 0) + 1);

    const health = await load({ url: `${base}${HEALTH_PATH}`, connections: 20, durationSec: 2 });
    const healthMs = msPerRequest(health);

    // 1. The wave: the release, and at once everyone's submit.
    await publish();
    const wave = await load({
      url: `${base}/v1/bookings`,
      method: "POST",
      connections: CONNECTIONS,
      amount: PEOPLE,
      request: (i) => submission(crowd[i], { office: HALL, date, period: periodOf(i), key: `${tag}-wave-${i}`, phoneSeq: i }),
      classify: (status, body) => (count(status), envelopeCode(status, body)),
    });
    // Who was booked, as the record has it; everyone else was refused and joins.
    const winners = new Set((await bookedRows(stack, date)).map((r) => r.applicant_id));
    const refused = crowd.map((_, i) => i).filter((i) => !winners.has(crowd[i].applicantId));
    say(`wave: ${JSON.stringify(wave.codes)} in ${wave.durationSec.toFixed(1)} s`);

    // 2. The refused all join their period's waitlist at once: the measured load.
    const joined = new Map(); // crowd index -> { id, position, period }
    const before = cpuSnapshot();
    const joins = await load({
      url: options.url,
      method: "POST",
      connections: CONNECTIONS,
      amount: refused.length,
      request: (k) => joining(crowd[refused[k]], { office: HALL, date, period: periodOf(refused[k]), key: `${tag}-join-${k}`, phoneSeq: refused[k] }),
      classify: (status, body, _headers, k) => {
        count(status);
        if (status === 201) {
          const e = JSON.parse(body).data;
          joined.set(refused[k], { id: e.waitlist_id, position: e.position, period: periodOf(refused[k]) });
        }
        return envelopeCode(status, body);
      },
    });
    const joinMs = workerdMs(before, cpuSnapshot()) / (joins.requests || 1);
    say(`joins: ${JSON.stringify(joins.codes)}, ${joinMs.toFixed(3)} ms of workerd CPU each (health ${healthMs})`);
    await quiesce();

    // 3. The serve burst: one publish adds BURST places to every period; the object gives each
    // to the next entry at once and its alarm writes their bookings.
    for (let k = 0; k < capacities.length; k++) capacities[k] += BURST;
    const burstStart = cpuSnapshot();
    const burstT0 = performance.now();
    await publish();
    const servedTarget = PERIODS.length * BURST;
    await until(`${servedTarget} served entries in D1`, async () => (await entryCounts(stack, date)).booked >= servedTarget, SETTLE_MS, 50);
    const burstMs = performance.now() - burstT0;
    const serveMs = workerdMs(burstStart, cpuSnapshot()) / servedTarget;
    say(`serve burst: ${servedTarget} bookings written in ${Math.round(burstMs)} ms, ${serveMs.toFixed(3)} ms of workerd CPU each`);
    await quiesce();

    // 4. The race.
    const race = await raceOf(stack, { date, crowd, newcomers, capacities, publish, periodOf, tag, count });
    say(`race: ${JSON.stringify(race.answers)} in ${race.seconds} s`);

    // 5. Settled: no hold or unwritten serve left in the object, and D1 agreeing with it.
    const views = await until(
      "the day settled (no holds, D1 agreeing with the object)",
      async () => {
        const v = await dayView(base, date);
        return v.every((p) => p.holds === 0 && p.d1.booked === p.taken) ? v : null;
      },
    );
    const positions = await pool([...joined.entries()], 20, async ([i, e]) => {
      const res = await api(base, "GET", `/v1/waitlist/${e.id}`, { token: crowd[i].token, headers: { "cf-connecting-ip": crowd[i].ip } });
      count(res.status);
      return [i, dataOf(res, `entry of ${i}`)];
    });
    const result = {
      ...joins,
      health: { throughput_rps: health.throughput_rps, latency: health.latency, workerd_ms_per_request: healthMs },
      join: { workerd_ms: round3(joinMs), vs_health: round3(joinMs / healthMs) },
      serve: { workerd_ms: round3(serveMs), vs_health: round3(serveMs / healthMs), burst: servedTarget, burst_ms: Math.round(burstMs) },
      wave: { requests: wave.requests, throughput_rps: wave.throughput_rps, latency: wave.latency, codes: wave.codes, workerd_ms_per_request: msPerRequest(wave) },
      race,
      statuses,
      capacities: Object.fromEntries(PERIODS.map((p, k) => [p, capacities[k]])),
    };
    result.problems = await problemsOf(stack, { date, joined, positions: new Map(positions), views, capacities, winners, result });
    return result;
  },

  check(result) {
    return result.problems ?? ["no result"];
  },
};

/**
 * 300 cancels of bookings the record holds (each followed by the canceller's new submit), 300
 * raises of one place (one period after another), and 300 submits by people who never tried:
 * the cancels and newcomers RACE_WIDTH at a time and never more than RACE_WIDTH steps ahead of
 * the raises, so the three overlap from start to end.
 */
async function raceOf(stack, { date, crowd, newcomers, capacities, publish, periodOf, tag, count }) {
  const base = stack.url;
  const byApplicant = new Map([...crowd, ...newcomers].map((p) => [p.applicantId, p]));
  const answers = {};
  const tally = (what, res) => {
    count(res.status);
    const key = `${what} ${res.status} ${res.body?.code ?? "-"}`;
    answers[key] = (answers[key] ?? 0) + 1;
  };
  let raised = 0;
  const picked = new Set();
  const cancelled = {}; // period -> cancels answered 200
  const t0 = performance.now();
  const raiser = (async () => {
    for (let k = 0; k < RACE; k++) {
      capacities[k % capacities.length] += 1;
      await publish();
      raised += 1;
    }
  })();
  const step = async (k) => {
    await until("the raises keeping up", async () => raised >= k - RACE_WIDTH, SETTLE_MS, 10);
    // A random booking the record holds, not yet chosen: the wave's and every served entry's.
    const row = await until("a booking to cancel", async () => {
      const free = (await bookedRows(stack, date)).filter((r) => !picked.has(r.booking_no));
      if (!free.length) return null;
      const r = free[Math.floor(Math.random() * free.length)];
      if (picked.has(r.booking_no)) return null;
      picked.add(r.booking_no);
      return r;
    });
    const who = byApplicant.get(row.applicant_id);
    const headers = { "cf-connecting-ip": who.ip };
    const cancel = await api(base, "POST", `/v1/bookings/${row.booking_no}/cancel`, { token: who.token, headers, body: {} });
    tally("cancel", cancel);
    if (cancel.status === 200) cancelled[row.period_id] = (cancelled[row.period_id] ?? 0) + 1;
    const again = submission(who, { office: HALL, date, period: row.period_id, key: `${tag}-again-${k}`, phoneSeq: k });
    tally("re-submit", await api(base, "POST", "/v1/bookings", { token: who.token, headers: again.headers, body: again.body }));
    const n = newcomers[k];
    const fresh = submission(n, { office: HALL, date, period: periodOf(k), key: `${tag}-new-${k}`, phoneSeq: 5000 + k });
    tally("new submit", await api(base, "POST", "/v1/bookings", { token: n.token, headers: fresh.headers, body: fresh.body }));
  };
  await pool([...Array(RACE).keys()], RACE_WIDTH, step);
  await raiser;
  return { answers, seconds: round3((performance.now() - t0) / 1000), cancels: picked.size, cancelled, raises: raised };
}

/** The day's bookings in the record that are `booked`. */
async function bookedRows(stack, date) {
  const db = await record(stack);
  const { results } = await db
    .prepare("SELECT booking_no, applicant_id, period_id FROM bookings WHERE office_id = ?1 AND date = ?2 AND status = 'booked'")
    .bind(HALL, date)
    .all();
  return results;
}

/** The day's waitlist entries in the record by status. */
async function entryCounts(stack, date) {
  const db = await record(stack);
  const { results } = await db
    .prepare("SELECT status, count(*) AS n FROM waitlist_entries WHERE office_id = ?1 AND date = ?2 GROUP BY status")
    .bind(HALL, date)
    .all();
  return Object.fromEntries(results.map((r) => [r.status, r.n]));
}

/** The ops day view's periods (the object's counts, D1's beside them). */
async function dayView(base, date) {
  return dataOf(await api(base, "GET", `/v1/ops/offices/${HALL}/days/${date}`, { headers: OPS }), `day view of ${HALL} ${date}`).periods;
}

/** Everything the storm must end with that it does not. */
async function problemsOf(stack, { date, joined, positions, views, capacities, winners, result }) {
  const problems = [];
  const expect = (ok, what) => ok || problems.push(what);
  const codes = (c) => JSON.stringify(c);
  const servers = Object.entries(result.statuses).filter(([s]) => Number(s) >= 500);
  expect(!servers.length, `5xx answers: ${codes(Object.fromEntries(servers))}`);
  const wave = result.wave.codes ?? {};
  expect(wave["201 OK"] === PLACES && wave[FULL] === PEOPLE - PLACES, `wave: ${codes(wave)}, expected ${PLACES} x 201 and ${PEOPLE - PLACES} x SLOT_FULL`);
  expect(winners.size === PLACES, `the record has ${winners.size} wave bookings, expected ${PLACES}`);
  const joinCodes = result.codes ?? {};
  expect(joinCodes["201 OK"] === PEOPLE - PLACES && Object.keys(joinCodes).length === 1, `joins: ${codes(joinCodes)}, expected ${PEOPLE - PLACES} x 201`);
  expect(!result.errors && !result.unanswered, `joins: ${result.errors} errors, ${result.unanswered} unanswered`);
  const race = result.race.answers;
  const want = { "cancel 200 OK": RACE, "re-submit 409 SLOT_FULL": RACE, "new submit 409 SLOT_FULL": RACE };
  expect(
    Object.keys(race).length === 3 && Object.entries(want).every(([k, v]) => race[k] === v),
    `race: ${codes(race)}, expected ${codes(want)}`,
  );
  expect(result.race.raises === RACE, `${result.race.raises} raises, expected ${RACE}`);

  // Join order: per period the positions given at join time are 1..n, each once.
  const byPeriod = new Map(PERIODS.map((p) => [p, []]));
  for (const [i, e] of joined) byPeriod.get(e.period).push({ i, ...e, now: positions.get(i) });
  for (const [period, entries] of byPeriod) {
    const seen = entries.map((e) => e.position).sort((a, b) => a - b);
    expect(
      seen.every((x, k) => x === k + 1),
      `${period}: join positions are not 1..${entries.length} (first: ${seen.slice(0, 5).join(", ")})`,
    );
    // Served order is join order: the booked are exactly the first s to join, and each still
    // waiting stands exactly s places nearer the front than when it joined.
    const served = entries.filter((e) => e.now.status === "booked");
    const s = served.length;
    expect(
      served.every((e) => e.position <= s),
      `${period}: ${served.filter((e) => e.position > s).length} entries served ahead of an earlier one`,
    );
    const waiting = entries.filter((e) => e.now.status === "waiting");
    expect(
      waiting.every((e) => e.now.position === e.position - s),
      `${period}: ${waiting.filter((e) => e.now.position !== e.position - s).length} waiting entries not at (join position - served)`,
    );
    expect(s + waiting.length === entries.length, `${period}: ${entries.length - s - waiting.length} entries neither booked nor waiting`);
    const view = views.find((v) => v.period_id === period);
    const cap = capacities[PERIODS.indexOf(period)];
    expect(
      view.capacity === cap && view.taken === cap && view.holds === 0 && view.d1.booked === cap,
      `${period}: object capacity ${view.capacity} taken ${view.taken} holds ${view.holds}, D1 ${view.d1.booked}; expected ${cap} full`,
    );
    expect(view.waitlist === waiting.length, `${period}: the day view shows ${view.waitlist} waiting, the entries ${waiting.length}`);
    // Its served: the burst, its raises (capacity beyond the burst) and every cancel in it.
    const due = cap - CAPACITY + (result.race.cancelled[period] ?? 0);
    expect(s === due, `${period}: ${s} entries served, expected ${due}`);
  }
  const served = [...positions.values()].filter((e) => e.status === "booked").length;
  const expected = PERIODS.length * BURST + 2 * RACE;
  expect(served === expected, `${served} entries served, expected ${expected} (the burst, every cancel and every raise)`);

  // Every served entry holds exactly one booking, its own, in one of its periods.
  const db = await record(stack);
  const { results: rows } = await db
    .prepare(
      `SELECT w.waitlist_id, w.status, w.period_ids, w.applicant_id AS wa, b.applicant_id AS ba, b.period_id, b.status AS bs,
              (SELECT count(*) FROM bookings x WHERE x.applicant_id = w.applicant_id AND x.office_id = w.office_id AND x.date = w.date) AS held
         FROM waitlist_entries w LEFT JOIN bookings b ON b.booking_no = w.booking_no
        WHERE w.office_id = ?1 AND w.date = ?2`,
    )
    .bind(HALL, date)
    .all();
  expect(rows.length === PEOPLE - PLACES, `${rows.length} entries in the record, expected ${PEOPLE - PLACES}`);
  const bad = rows.filter((r) =>
    r.status === "booked"
      ? r.ba !== r.wa || !JSON.parse(r.period_ids).includes(r.period_id) || !["booked", "cancelled"].includes(r.bs) || r.held < 1
      : r.status !== "waiting" || r.ba !== null,
  );
  expect(!bad.length, `${bad.length} entries whose booking is wrong, e.g. ${JSON.stringify(bad.slice(0, 3))}`);
  const { results: doubles } = await db
    .prepare("SELECT applicant_id, count(*) AS n FROM bookings WHERE office_id = ?1 AND date = ?2 AND status = 'booked' GROUP BY applicant_id HAVING n > 1")
    .bind(HALL, date)
    .all();
  expect(!doubles.length, `${doubles.length} applicants with two active bookings`);
  const booked = (await bookedRows(stack, date)).length;
  const total = capacities.reduce((a, b) => a + b, 0);
  expect(booked === total, `the record has ${booked} active bookings for the day, the capacity is ${total}`);
  return problems;
}

/** Warms join, serve and cancel (a small wave, its refused joining, one cancel, one raise) at WARM_HALL. */
async function warmUp(stack, { date, people, tag, say }) {
  const base = stack.url;
  const period = "wl-warm";
  const open = (capacity) => publishDay(base, { office: WARM_HALL, date, periods: [{ period, capacity }] });
  await open(WARM_CAPACITY);
  const booked = [];
  const refused = [];
  await pool(people, 10, async (p, i) => {
    const s = submission(p, { office: WARM_HALL, date, period, key: `${tag}-warm-${i}`, phoneSeq: i });
    const res = await api(base, "POST", "/v1/bookings", { token: p.token, headers: s.headers, body: s.body });
    if (res.status === 201) booked.push([p, res.body.data.booking_no]);
    else if (res.body?.code === "SLOT_FULL") refused.push([p, i]);
    else throw new Error(`waitlist-storm warm-up: submit answered ${res.status} ${res.text.slice(0, 200)}`);
  });
  await pool(refused, 10, async ([p, i]) => {
    const j = joining(p, { office: WARM_HALL, date, period, key: `${tag}-warm-join-${i}`, phoneSeq: i });
    dataOf(await api(base, "POST", j.path, { token: p.token, headers: j.headers, body: j.body }), "warm-up join", 201);
  });
  for (const [p, no] of booked.slice(0, 5)) {
    dataOf(await api(base, "POST", `/v1/bookings/${no}/cancel`, { token: p.token, headers: { "cf-connecting-ip": p.ip }, body: {} }), "warm-up cancel");
  }
  await open(WARM_CAPACITY + 5);
  await until("the warm-up's 10 served entries", async () => {
    const db = await record(stack);
    const row = await db.prepare("SELECT count(*) AS n FROM waitlist_entries WHERE office_id = ?1 AND date = ?2 AND status = 'booked'").bind(WARM_HALL, date).first();
    return row.n === 10;
  });
  const settled = await quiesce();
  say(`warm-up at ${WARM_HALL}: ${booked.length} booked, ${refused.length} joined, 10 served; workerd ${settled.idle ? "idle" : "still busy"} after ${settled.waitedMs} ms`);
}
