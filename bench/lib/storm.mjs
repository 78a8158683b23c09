// The booking storm as a benchmark (issue 6): N identified people each submit one booking at
// the same instant for periods whose capacities add up to 100; exactly 100 are booked and the
// rest are told SLOT_FULL. bench/scenarios/storm.mjs puts the whole storm on one hall's period,
// storm-50.mjs spreads it over 50 halls (capacity 2 each), so the two differ only in how many
// (hall, date) inventory objects share the load.
//
// A storm spends its inventory, so it cannot use steadyRun's warm-up (which would book the
// measured periods first). It warms the same code on inventory of its own instead: a smaller
// storm of other people at another hall the same day, so the measured storm does not pay for
// compiling the booking path, as the health baseline does not pay for compiling health. The
// load is an exact amount, one submit per person.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load, envelopeCode } from "./load.mjs";
import { cpuSnapshot, coresBetween } from "./cpu.mjs";
import { OPS, api, dataOf, identifiedPeople, pool, publishDay, publishPeriod, SERVICE, shanghaiDateAt, submission } from "./people.mjs";

/** Bookings a storm makes in total, whatever the number of halls. */
export const TOTAL_CAPACITY = 100;
const DEFAULT_PEOPLE = 2000;
const MAX_PEOPLE = 10_000;
const DEFAULT_CONNECTIONS = 50;
/** Storms per scenario, each on a period of its own and each against the health around it. */
const DEFAULT_ROUNDS = 5;
const MAX_ROUNDS = 5;
/** The health measured right before and right after each storm, on the storm's own stack. */
export const HEALTH_PATH = "/v1/health/catalog"; // the baseline scenario's request (scenarios/health.mjs)
const HEALTH_SEC = 2;
/** The warm-up storm: WARM_PEOPLE people for WARM_CAPACITY places, at the scenario's warm hall. */
export const WARM_PEOPLE = 300;
const WARM_CAPACITY = 100;
const OK = "201 OK";
const FULL = "409 SLOT_FULL";

// The calendar the stack seeds (scripts/seed.mjs): a period published on a public holiday is
// refused at booking (OUTSIDE_BOOKING_WINDOW, reason holiday), so a storm never lands on one.
const HOLIDAYS = new Set(
  JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "shared", "data", "calendar-cn.json"), "utf8")).holidays.map(([d]) => d),
);

/** The days 1..6 ahead (Asia/Shanghai; inside the booking window at any hour) that are not public holidays. */
export function stormDates(now = Date.now()) {
  return [1, 2, 3, 4, 5, 6].map((k) => shanghaiDateAt(k, now)).filter((d) => !HOLIDAYS.has(d));
}

/**
 * N (--people, else BENCH_STORM_PEOPLE, else 2,000), C (BENCH_STORM_CONNECTIONS, else 50) and R
 * (--rounds, else BENCH_STORM_ROUNDS, else 5).
 */
export function stormSize(ctx) {
  const people = Number(ctx.people ?? process.env.BENCH_STORM_PEOPLE ?? DEFAULT_PEOPLE);
  if (!Number.isInteger(people) || people < TOTAL_CAPACITY || people > MAX_PEOPLE) {
    throw new Error(`storm: people (--people / BENCH_STORM_PEOPLE) must be an integer in [${TOTAL_CAPACITY}, ${MAX_PEOPLE}]`);
  }
  const connections = Number(process.env.BENCH_STORM_CONNECTIONS ?? DEFAULT_CONNECTIONS);
  if (!Number.isInteger(connections) || connections < 1 || connections > 1000) {
    throw new Error("storm: BENCH_STORM_CONNECTIONS must be an integer in [1, 1000]");
  }
  const rounds = Number(ctx.rounds ?? process.env.BENCH_STORM_ROUNDS ?? DEFAULT_ROUNDS);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > MAX_ROUNDS) {
    throw new Error(`storm: rounds (--rounds / BENCH_STORM_ROUNDS) must be an integer in [1, ${MAX_ROUNDS}]`);
  }
  return { people, connections, rounds };
}

/**
 * Waits until workerd has been nearly idle (under 5 % of a core) for half a second, or 20 s have
 * passed. Resolves to { idle, waitedMs }.
 */
export async function quiesce({ limitMs = 20_000, windowMs = 500, maxCores = 0.05 } = {}) {
  const started = performance.now();
  for (;;) {
    const before = cpuSnapshot();
    await new Promise((r) => setTimeout(r, windowMs));
    const used = coresBetween(before, cpuSnapshot());
    const workerd = used?.children?.workerd ?? 0;
    const waitedMs = Math.round(performance.now() - started);
    if (workerd < maxCores) return { idle: true, waitedMs };
    if (waitedMs >= limitMs) return { idle: false, waitedMs };
  }
}

/**
 * Warm-up, not measured, so a wave does not pay for cold isolates (V8 compiles wasm and
 * JavaScript lazily and optimizes what runs often): the book function's routing and health; its
 * token check and a D1 read of each caller's bookings; the submit path up to the booking window
 * (a past date is refused before any hold or write); and the whole booking path, by a storm of
 * WARM_PEOPLE `warmPeople` for WARM_CAPACITY places of `period` at `hall` on `date`: holds, the
 * record's reads and write, the rate limits, confirmations, the queue, and refusals of a full
 * period by the object and by the isolate. `hall` must be none of the measured wave's, so its
 * (hall, date) object stays new. `people` are the wave's (their tokens read bookings), and
 * `submit(i, key, date)` is person i's submit as the wave sends it. Then waits until workerd is
 * idle: the warm-up's confirmation messages go through the queue consumer first, so the wave is
 * not measured against their delivery.
 */
export async function warmBookingPath(base, { name, hall, date, period, warmPeople, people, submit, connections, tag, say }) {
  await publishPeriod(base, { office: hall, date, period, capacity: WARM_CAPACITY });
  const warmStorm = await load({
    url: `${base}/v1/bookings`,
    method: "POST",
    connections,
    amount: WARM_PEOPLE,
    request: (i) => submission(warmPeople[i], { office: hall, date, period, key: `${tag}-warmup-${i}`, phoneSeq: i }),
    classify: envelopeCode,
  });
  const warmExpected = { [OK]: WARM_CAPACITY, [FULL]: WARM_PEOPLE - WARM_CAPACITY };
  const warmCodes = Object.entries(warmStorm.codes ?? {});
  if (warmCodes.length !== 2 || warmCodes.some(([k, v]) => warmExpected[k] !== v) || warmStorm.errors || warmStorm.unanswered) {
    throw new Error(`${name}: warm-up storm at ${hall}: ${JSON.stringify(warmStorm.codes)}, expected ${JSON.stringify(warmExpected)}`);
  }
  const n = people.length;
  const warm = [
    ["GET /v1/health/book", await load({ url: `${base}/v1/health/book`, connections: 20, amount: 400 }), "200"],
    [
      "GET /v1/bookings",
      await load({
        url: `${base}/v1/bookings`,
        connections: 20,
        amount: Math.min(400, n),
        request: (i) => ({ headers: { authorization: `Bearer ${people[i].token}`, "cf-connecting-ip": people[i].ip } }),
      }),
      "200",
    ],
    [
      "POST /v1/bookings for a past date",
      await load({
        url: `${base}/v1/bookings`,
        method: "POST",
        connections: 20,
        amount: Math.min(400, n),
        request: (i) => submit(i, `${tag}-warm-${i}`, "2020-01-01"),
        classify: envelopeCode,
      }),
      "409 OUTSIDE_BOOKING_WINDOW",
    ],
  ];
  for (const [what, w, answer] of warm) {
    const got = Object.keys(w.codes ?? w.statusCodes);
    if (got.length !== 1 || got[0] !== answer || w.errors || w.unanswered) {
      throw new Error(`${name}: warm-up ${what} failed: ${JSON.stringify(w.codes ?? w.statusCodes)}, ${w.errors} errors, ${w.unanswered} unanswered`);
    }
  }
  const settled = await quiesce();
  say(`warm-up: ${WARM_CAPACITY} booked at ${hall}; workerd ${settled.idle ? "idle" : "still busy"} after ${settled.waitedMs} ms`);
}

/** The day's view of the inventory authority for `office`, with D1's count beside it. */
async function dayView(base, office, date, periodId) {
  const data = dataOf(await api(base, "GET", `/v1/ops/offices/${office}/days/${date}`, { headers: OPS }), `day view of ${office} ${date}`);
  const p = data.periods.find((x) => x.period_id === periodId);
  if (!p) throw new Error(`day view of ${office} ${date}: no period ${periodId} (periods: ${data.periods.map((x) => x.period_id).join(", ")})`);
  return p;
}

/** Sums of the views of every hall's period, and the halls whose view is not what it should be. */
async function inventoryOf(base, { halls, date, periodId, capacityPerHall }, expectTaken) {
  const views = await pool(halls, 10, (office) => dayView(base, office, date, periodId));
  const sum = (f) => views.reduce((a, v) => a + f(v), 0);
  const off = views
    .map((v, k) => ({ office: halls[k], capacity: v.capacity, taken: v.taken, holds: v.holds, d1_booked: v.d1.booked }))
    .filter((v) => v.capacity !== capacityPerHall || v.taken !== expectTaken || v.holds !== 0 || v.d1_booked !== v.taken);
  return {
    halls: halls.length,
    capacity: sum((v) => v.capacity),
    taken: sum((v) => v.taken),
    holds: sum((v) => v.holds),
    d1_booked: sum((v) => v.d1.booked),
    halls_not_as_expected: off.length,
    ...(off.length ? { first_halls_not_as_expected: off.slice(0, 5) } : {}),
  };
}

/**
 * A storm scenario.
 *   halls(stack, ctx)  resolves to the office ids the storm is spread over (person i submits to
 *                      hall i % halls.length); TOTAL_CAPACITY must divide evenly among them
 *   dateSlot           the date: stormDates()[dateSlot % their number] (normally dateSlot + 1
 *                      days ahead); distinct consecutive slots per scenario, so storms in one
 *                      run never publish over each other's booked day
 *   periodId           the one period published for that date at each hall
 *   people             { tag, net, region, seq }: who submits (see identifiedPeople); distinct
 *                      per scenario, since an applicant may hold one active booking per service
 *   warm               { hall, people }: where the warm-up storm books (a hall offering passport
 *                      that is not one of `halls`, so its (hall, date) object is not the
 *                      storm's) and who books there (like `people`, distinct from every other)
 *   prepare, compareTo passed through to the registry (see lib/registry.mjs)
 */
export function stormScenario({ name, description, halls: hallsOf, dateSlot, periodId, people: who, warm: warmSpec, prepare, compareTo }) {
  return {
    name,
    description,
    ...(prepare ? { prepare } : {}),
    ...(compareTo ? { compareTo } : {}),

    async setup(stack, ctx) {
      const say = (m) => ctx.say(`${name}: ${m}`);
      const { people: n, connections, rounds } = stormSize(ctx);
      const halls = await hallsOf(stack, ctx);
      if (halls.includes(warmSpec.hall)) throw new Error(`${name}: the warm-up hall ${warmSpec.hall} is one of the storm's halls`);
      if (TOTAL_CAPACITY % halls.length !== 0) throw new Error(`${name}: ${TOTAL_CAPACITY} does not divide among ${halls.length} halls`);
      const capacityPerHall = TOTAL_CAPACITY / halls.length;
      const dates = stormDates();
      if (dates.length < 2) throw new Error(`${name}: fewer than 2 days in the next 6 are not public holidays (${dates.join(", ")}); no room for the storms`);
      const date = dates[dateSlot % dates.length];
      const storm = { halls, date, periodId, capacityPerHall };

      // Each round's N are the first of them not booked in an earlier round (an applicant holds
      // one active booking per service), so R rounds need N + 100 (R - 1) people.
      const everyone = await identifiedPeople(stack.url, { count: n + TOTAL_CAPACITY * (rounds - 1), ...who, say });
      const people = everyone.slice(0, n);

      const tag = `bench-${name}-${process.pid}`;
      // Person i submits for themselves (own token, own client address, own key) at hall i % halls.
      const submit = (i, key = `${tag}-${i}`, day = date) =>
        submission(people[i], { office: halls[i % halls.length], date: day, period: periodId, key, phoneSeq: i });

      // The warm-up books at a hall of its own: the measured storm's objects are still new.
      const warmPeople = await identifiedPeople(stack.url, { count: WARM_PEOPLE, ...warmSpec.people, say });
      await warmBookingPath(stack.url, { name, hall: warmSpec.hall, date, period: `${periodId}-w`, warmPeople, people, submit, connections, tag, say });

      return {
        url: `${stack.url}/v1/bookings`,
        method: "POST",
        connections,
        amount: n,
        describe: { people: n, rounds, halls: halls.length, capacity_per_hall: capacityPerHall, date, period_ids: roundPeriods(periodId, rounds), service: SERVICE },
        stackUrl: stack.url,
        storm,
        everyone,
        rounds,
        tag,
        say,
      };
    },

    /**
     * R rounds on the same stack. Each: the health baseline's request for 2 s; the release (the
     * round's period published at each hall and read back); at once the storm of N submits by the
     * first N people not yet booked; what the objects and D1 hold; a wait until workerd is idle
     * (the 100 confirmation messages); the health again, which is also the next round's "before".
     * The hypervisor takes a share of this VM's cores that changes from one second to the next
     * (`cpu.stolen`), so a storm is compared with the health measured around it, and the round
     * reported is the median of the R by that ratio; every round is in `rounds`.
     */
    async run(options) {
      const { url, method, connections, amount: n, storm, everyone, tag, say } = options;
      const health = () => load({ url: `${options.stackUrl}${HEALTH_PATH}`, connections: 20, durationSec: HEALTH_SEC });
      const booked = new Set();
      const results = [];
      let before = await health();
      for (const [k, period] of roundPeriods(storm.periodId, options.rounds).entries()) {
        const round = { ...storm, periodId: period };
        const people = everyone.filter((p) => !booked.has(p.applicantId)).slice(0, n);
        if (people.length < n) throw new Error(`round ${k + 1}: ${people.length} people not yet booked, ${n} needed`);
        // The release: one period per hall, published through ops (which creates each (hall,
        // date) object on the first round), read back, and then at once the wave, as at 08:00
        // when the release job publishes the day and the first submits arrive within the second.
        // Published before the ~40 s of logging people in and warming up (until 2026-11-27
        // 20:05 UTC), the objects had gone idle and been evicted by then, and the wave paid for
        // bringing each back: about 0.3 s of workerd time for storm-50's 50 objects, no answer
        // at all for its first 0.6 s.
        // A publish replaces the day's periods: the earlier rounds' (full) periods stay in it.
        const periods = roundPeriods(storm.periodId, k + 1).map((p) => ({ period: p, capacity: storm.capacityPerHall }));
        await pool(storm.halls, 10, (office) => publishDay(options.stackUrl, { office, date: storm.date, periods }));
        const empty = await inventoryOf(options.stackUrl, round, 0);
        if (empty.halls_not_as_expected) throw new Error(`round ${k + 1}, before the storm: ${JSON.stringify(empty)}`);
        const winners = [];
        const result = await load({
          url,
          method,
          connections,
          amount: n,
          request: (i) => submission(people[i], { office: storm.halls[i % storm.halls.length], date: storm.date, period, key: `${tag}-${period}-${i}`, phoneSeq: i }),
          classify: (status, body, headers, i) => {
            if (status === 201) winners.push(people[i].applicantId);
            return envelopeCode(status, body);
          },
        });
        // Every submit has been answered: what the authority holds and what D1 recorded.
        result.inventory = await inventoryOf(options.stackUrl, round, storm.capacityPerHall);
        for (const a of winners) booked.add(a);
        const settled = await quiesce();
        const after = await health();
        const around = (before.throughput_rps + after.throughput_rps) / 2;
        result.period_id = period;
        result.health_around = {
          before_rps: before.throughput_rps,
          after_rps: after.throughput_rps,
          throughput: around > 0 ? Math.round((result.throughput_rps / around) * 1000) / 1000 : null,
          workerd_ms_per_request: msPerRequest(before, after),
        };
        say(
          `round ${k + 1}: ${Math.round(result.throughput_rps)} req/s, ${result.health_around.throughput}x the health around it ` +
            `(${Math.round(before.throughput_rps)} / ${Math.round(after.throughput_rps)} req/s), stolen ${result.cpu?.stolen} cores, ` +
            `${JSON.stringify(result.codes)}; workerd ${settled.idle ? "idle" : "still busy"} after ${settled.waitedMs} ms`,
        );
        results.push(result);
        before = after;
      }
      const ranked = [...results].sort((a, b) => a.health_around.throughput - b.health_around.throughput);
      const median = ranked[(ranked.length - 1) >> 1];
      return {
        ...median,
        median_of_rounds: results.length,
        rounds: results.map((r) => ({
          period_id: r.period_id,
          requests: r.requests,
          unanswered: r.unanswered,
          durationSec: r.durationSec,
          throughput_rps: r.throughput_rps,
          latency: r.latency,
          errors: r.errors,
          timeouts: r.timeouts,
          statusCodes: r.statusCodes,
          codes: r.codes,
          cpu: r.cpu,
          health_around: r.health_around,
          inventory: r.inventory,
        })),
      };
    },

    check(result, options) {
      return (result.rounds ?? [result]).flatMap((r) => roundProblems(r, options.amount).map((p) => (result.rounds ? `${r.period_id}: ${p}` : p)));
    },
  };
}

/** A storm round's numbers that are not what the storm must produce. */
function roundProblems(result, n) {
  const problems = [];
  const codes = result.codes ?? {};
  const got = (k) => codes[k] ?? 0;
  if (got(OK) !== TOTAL_CAPACITY) problems.push(`${got(OK)} answers "${OK}", expected exactly ${TOTAL_CAPACITY}`);
  if (got(FULL) !== n - TOTAL_CAPACITY) problems.push(`${got(FULL)} answers "${FULL}", expected exactly ${n - TOTAL_CAPACITY}`);
  const other = Object.entries(codes).filter(([k]) => k !== OK && k !== FULL);
  if (other.length) problems.push(`other answers: ${other.map(([k, v]) => `${v} x "${k}"`).join(", ")}`);
  if (codes["404 NOT_FOUND"]) problems.push("404 NOT_FOUND: the book function does not know a hall (a catalog cached before the halls were inserted?)");
  const server = Object.entries(result.statusCodes).filter(([s]) => Number(s) >= 500);
  if (server.length) problems.push(`5xx answers: ${JSON.stringify(Object.fromEntries(server))}`);
  if (result.errors || result.timeouts) problems.push(`${result.errors} errors (${result.timeouts} timeouts)`);
  if (result.unanswered || result.requests !== n) problems.push(`${result.requests} of ${n} submits answered (${result.unanswered} unanswered)`);
  const inv = result.inventory;
  if (!inv) problems.push("no inventory view after the storm");
  else {
    if (inv.taken !== TOTAL_CAPACITY) problems.push(`inventory objects hold ${inv.taken} places, expected ${TOTAL_CAPACITY}`);
    if (inv.d1_booked !== TOTAL_CAPACITY) problems.push(`D1 has ${inv.d1_booked} bookings, expected ${TOTAL_CAPACITY}`);
    if (inv.d1_booked !== inv.taken) problems.push(`D1 (${inv.d1_booked}) and the inventory objects (${inv.taken}) disagree`);
    if (inv.holds) problems.push(`${inv.holds} unconfirmed holds left`);
    if (inv.halls_not_as_expected) problems.push(`${inv.halls_not_as_expected} hall(s) not full or not agreeing: ${JSON.stringify(inv.first_halls_not_as_expected)}`);
  }
  return problems;
}

/** The period of each round: `bench-storm`, `bench-storm-2`, ... (period ids are at most 16 characters). */
function roundPeriods(periodId, rounds) {
  return Array.from({ length: rounds }, (_, k) => (k === 0 ? periodId : `${periodId}-${k + 1}`));
}

/** Mean workerd CPU per request of two loads, in ms. */
export function msPerRequest(...loads) {
  const ms = loads.map((r) => ((r.cpu?.children?.workerd ?? 0) * r.durationSec * 1000) / (r.requests || 1));
  return Math.round((ms.reduce((a, b) => a + b, 0) / ms.length) * 1000) / 1000;
}
