// Ops: creating a hall with its usual week, the release job publishing the booking window from
// it, and no-shows: the sweep of an ended day, the nightly job, and the penalty that follows a
// second no-show. Time moves with the dev clock override, never by sleeping.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { api, assertError, assertOk, idNumber, loginIdentified, OPS as ADMIN, shanghaiDate } from "./helpers.mjs";

const STAFF = { authorization: "Bearer dev-hall-sz-futian-token" };
const HOLIDAYS = new Set(JSON.parse(readFileSync(new URL("../shared/data/calendar-cn.json", import.meta.url))).holidays.map(([d]) => d));

const clock = (date, hhmm) => ({ "x-dev-now": `${date}T${hhmm}:00+08:00` });
const NEW_HALL = `sz-ops${process.pid % 1000}`;

function hall(extra = {}) {
  return {
    city_id: "sz",
    name: "深圳市宝安区出入境接待大厅",
    district: "宝安区",
    address: "宝安区新安街道创业一路1号",
    phone: "0755-29990000",
    opening_hours: "周一至周日 09:00-17:00",
    services: ["passport", "hk_macau_permit"],
    schedule_template: {
      open_weekdays: [1, 2, 3, 4, 5, 6, 7],
      periods: [
        { period_id: "am-1", start: "09:00", end: "10:00", capacity: 12 },
        { period_id: "pm-1", start: "14:00", end: "15:00", capacity: 6 },
      ],
    },
    ...extra,
  };
}

test("an admin creates a hall with its usual week and updates it; others and bad input are refused", async () => {
  const created = assertOk(await api("PUT", `/v1/ops/offices/${NEW_HALL}`, { headers: ADMIN, body: hall() }), 201);
  assert.equal(created.office_id, NEW_HALL);
  assert.deepEqual(created.schedule_template.open_weekdays, [1, 2, 3, 4, 5, 6, 7]);
  const updated = assertOk(await api("PUT", `/v1/ops/offices/${NEW_HALL}`, { headers: ADMIN, body: hall({ phone: "0755-29990001" }) }), 200);
  assert.equal(updated.phone, "0755-29990001");

  assertError(await api("PUT", `/v1/ops/offices/${NEW_HALL}`, { headers: STAFF, body: hall() }), 403, "FORBIDDEN");
  assertError(await api("PUT", `/v1/ops/offices/${NEW_HALL}`, { body: hall() }), 401, "UNAUTHENTICATED");
  const cases = [
    [hall({ city_id: "zz" }), "city_id"],
    [hall({ services: ["teleport"] }), "services[0]"],
    [hall({ lat: 200 }), "lat"],
    [hall({ schedule_template: { open_weekdays: [8], periods: [] } }), "schedule_template.open_weekdays"],
    [hall({ schedule_template: { open_weekdays: [1], periods: [{ period_id: "x", start: "10:00", end: "09:00", capacity: 1 }] } }), "schedule_template.periods[0].end"],
  ];
  for (const [body, field] of cases) {
    const res = await api("PUT", "/v1/ops/offices/sz-never", { headers: ADMIN, body });
    assertError(res, 400, "INVALID_ARGUMENT");
    assert.equal(res.body.details.field, field);
  }
  assertError(await api("PUT", "/v1/ops/offices/sz-never", { headers: ADMIN, body: { name: "x" } }), 400, "INVALID_ARGUMENT");
  // None of the refused requests created the hall.
  assertError(await api("GET", `/v1/ops/offices/sz-never/days/${shanghaiDate(1)}`, { headers: ADMIN }), 404, "NOT_FOUND");
});

test("the release job publishes the booking window from each hall's usual week, once", async () => {
  const start = shanghaiDate(20);
  const at = clock(start, "08:00");
  const run = assertOk(await api("POST", "/v1/ops/jobs/release", { headers: { ...ADMIN, ...at } }));
  assert.equal(run.job, "release");
  assert.deepEqual(run.released.failed, []);
  const mine = run.released.published.filter((d) => d.startsWith(`${NEW_HALL}/`)).map((d) => d.split("/")[1]);
  const expected = [...Array(8).keys()].map((i) => shanghaiDate(20 + i)).filter((d) => !HOLIDAYS.has(d));
  assert.deepEqual(mine, expected, "every day of the window but holidays");
  const day = assertOk(await api("GET", `/v1/ops/offices/${NEW_HALL}/days/${expected.at(-1)}`, { headers: ADMIN }));
  assert.deepEqual(day.periods.map((p) => [p.period_id, p.capacity, p.taken]), [["am-1", 12, 0], ["pm-1", 6, 0]]);

  const again = assertOk(await api("POST", "/v1/ops/jobs/release", { headers: { ...ADMIN, ...at } }));
  assert.deepEqual(again.released.published, []);
  assertError(await api("POST", "/v1/ops/jobs/reboot", { headers: ADMIN }), 404, "NOT_FOUND");
  assertError(await api("POST", "/v1/ops/jobs/release", { headers: STAFF }), 403, "FORBIDDEN");
});

test("two no-shows within the window bar the applicant with BOOKING_BANNED", async () => {
  // A stretch of days in the past, which no other test touches: the dev clock books there.
  const [d0, d1, d2, d3] = [-30, -29, -28, -27].map(shanghaiDate);
  const office = "gz-panyu";
  for (const date of [d1, d2]) {
    assertOk(
      await api("POST", "/v1/ops/schedules", {
        headers: { ...ADMIN, ...clock(d0, "08:30") },
        body: { office_id: office, date, periods: [{ period_id: "ns-1", start: "09:00", end: "10:00", capacity: 5 }] },
      }),
    );
  }
  const me = await loginIdentified(`ops-noshow-${process.pid}`, idNumber("19771111", process.pid % 1000, "440113"), "冯七");
  let keys = 0;
  const book = (date, now) =>
    api("POST", "/v1/bookings", {
      token: me.token,
      headers: { "idempotency-key": `ops-ns-${process.pid}-${++keys}`, ...now },
      body: { applicant_id: me.applicantId, service: "passport", office_id: office, date, period_id: "ns-1", phone: "13600001111", pickup: { method: "collect" }, agree_terms: true },
    });

  const first = assertOk(await book(d1, clock(d0, "09:00")), 201);
  // The day is not over yet; hall staff may not sweep; a bad date is a 400.
  const early = await api("POST", "/v1/ops/sweeps/no-shows", { headers: { ...ADMIN, ...clock(d1, "20:00") }, body: { date: d1 } });
  assertError(early, 409, "CONFLICT");
  assert.equal(early.body.details.reason, "day_not_over");
  assertError(await api("POST", "/v1/ops/sweeps/no-shows", { headers: STAFF, body: { date: d1 } }), 403, "FORBIDDEN");
  const bad = await api("POST", "/v1/ops/sweeps/no-shows", { headers: ADMIN, body: { date: "2026-02-30" } });
  assertError(bad, 400, "INVALID_ARGUMENT");

  const swept = assertOk(await api("POST", "/v1/ops/sweeps/no-shows", { headers: { ...ADMIN, ...clock(d2, "00:05") }, body: { date: d1 } }));
  assert.deepEqual(swept.booking_nos, [first.booking_no]);
  assert.equal(assertOk(await api("GET", `/v1/bookings/${first.booking_no}`, { token: me.token })).status, "no_show");
  const again = assertOk(await api("POST", "/v1/ops/sweeps/no-shows", { headers: { ...ADMIN, ...clock(d2, "00:06") }, body: { date: d1 } }));
  assert.equal(again.marked, 0);

  // One no-show alone does not bar; the second one, swept by the nightly job, does.
  const second = assertOk(await book(d2, clock(d1, "09:00")), 201);
  const nightly = assertOk(await api("POST", "/v1/ops/jobs/nightly", { headers: { ...ADMIN, ...clock(d3, "00:05") } }));
  assert.deepEqual(nightly.no_shows.booking_nos, [second.booking_no]);
  assert.ok(nightly.reconciled.checked > 0);
  assert.deepEqual(nightly.reconciled.failed, []);
  assert.deepEqual(nightly.reconciled.repaired, [], "inventory and D1 agreed everywhere");

  // Now, for a day ahead with room: refused for the ban, and nothing held for it.
  const tomorrow = shanghaiDate(1);
  assertOk(
    await api("POST", "/v1/ops/schedules", {
      headers: ADMIN,
      body: { office_id: office, date: tomorrow, periods: [{ period_id: "ns-1", start: "09:00", end: "10:00", capacity: 5 }] },
    }),
  );
  const barred = await book(tomorrow, {});
  assertError(barred, 403, "BOOKING_BANNED");
  const view = assertOk(await api("GET", `/v1/ops/offices/${office}/days/${tomorrow}`, { headers: ADMIN }));
  assert.equal(view.periods[0].taken, 0);
  const trail = assertOk(await api("GET", "/v1/me/audit", { token: me.token })).entries;
  const noShows = trail.filter((e) => e.action === "booking.no_show");
  assert.deepEqual(noShows.map((e) => e.target).sort(), [first.booking_no, second.booking_no].sort());
  assert.ok(noShows.every((e) => e.actor.kind === "ops" && e.actor.name === "dev-admin"), JSON.stringify(noShows));
});

test("metrics: the day's bookings and places, and every function's answers by code and latency", async () => {
  // A few answers of known codes: one full period refusal, one 404, two health checks.
  const date = shanghaiDate(2);
  assertOk(
    await api("POST", "/v1/ops/schedules", {
      headers: ADMIN,
      body: { office_id: "gz-yuexiu", date, periods: [{ period_id: "m-0", start: "09:00", end: "10:00", capacity: 0 }] },
    }),
  );
  const me = await loginIdentified(`ops-metrics-${process.pid}`, idNumber("19780808", process.pid % 1000, "440104"), "冯八");
  const full = await api("POST", "/v1/bookings", {
    token: me.token,
    headers: { "idempotency-key": `ops-m-${process.pid}` },
    body: { applicant_id: me.applicantId, service: "passport", office_id: "gz-yuexiu", date, period_id: "m-0", phone: "13600001111", pickup: { method: "collect" }, agree_terms: true },
  });
  assertError(full, 409, "SLOT_FULL");
  assertError(await api("GET", "/v1/nothing-here"), 404, "NOT_FOUND");
  for (let i = 0; i < 2; i++) assertOk(await api("GET", "/v1/health/progress"));

  const m = assertOk(await api("GET", `/v1/ops/metrics?date=${date}&minutes=60`, { headers: ADMIN }));
  assert.equal(m.date, date);
  assert.equal(m.window_minutes, 60);
  assert.ok(m.functions.book.codes.SLOT_FULL >= 1, JSON.stringify(m.functions.book));
  assert.ok(m.functions.catalog.codes.NOT_FOUND >= 1);
  assert.ok(m.functions.progress.requests >= 2);
  assert.ok(m.refusals.SLOT_FULL >= 1);
  const book = m.functions.book;
  const bucketed = Object.values(book.latency_ms).reduce((a, b) => a + b, 0);
  assert.equal(bucketed, book.requests, "every answer is in one latency bucket");
  assert.ok(book.p50_ms_at_most === null || book.p50_ms_at_most >= 5);
  assert.ok(m.places.capacity >= 0 && m.places.taken <= m.places.capacity);
  assert.equal(typeof m.bookings.made, "number");
  assert.equal(typeof m.notifications.backlog, "number");

  assertError(await api("GET", "/v1/ops/metrics", { headers: STAFF }), 403, "FORBIDDEN");
  assertError(await api("GET", "/v1/ops/metrics?minutes=0", { headers: ADMIN }), 400, "INVALID_ARGUMENT");
  assertError(await api("GET", "/v1/ops/metrics?date=2026-13-01", { headers: ADMIN }), 400, "INVALID_ARGUMENT");
});
