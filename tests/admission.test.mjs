// The waiting room for a stormed release: with admission on, scripted clients cannot book
// before the release, and places go in the order of a lottery drawn at the release among those
// who joined before it, a batch at a time, not to whoever is fastest. Time moves with the dev
// clock override.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { api, apiFresh, assertError, assertOk, clientIp, idNumber, loginIdentified, OPS as ADMIN, pool, shanghaiDate } from "./helpers.mjs";

const STAFF = { authorization: "Bearer dev-hall-sz-futian-token" };
const HALL = "sh-xuhui";
const PEOPLE = 200;

// The day a week out, released at 08:00 today; the whole test runs on the dev clock of today.
const DAY = shanghaiDate(7);
const TODAY = shanghaiDate(0);
const at = (hhmmss) => ({ "x-dev-now": `${TODAY}T${hhmmss}+08:00` });

let people = [];
before(async () => {
  const base = Date.UTC(1950, 0, 1);
  people = await pool([...Array(PEOPLE).keys()], 20, (i) => {
    const birth = new Date(base + i * 86_400_000).toISOString().slice(0, 10).replaceAll("-", "");
    return loginIdentified(`adm-${process.pid}-${i}`, idNumber(birth, process.pid % 1000, "510104"), "陈一").then((p) => ({ ...p, ip: clientIp() }));
  });
  assertOk(
    await api("POST", "/v1/ops/schedules", {
      headers: ADMIN,
      body: { office_id: HALL, date: DAY, periods: [{ period_id: "adm-1", start: "09:00", end: "10:00", capacity: 100 }] },
    }),
  );
});

function submit(p, i, clock) {
  return apiFresh("POST", "/v1/bookings", {
    token: p.token,
    // One submit per person, retried under its key as a real client would.
    headers: { "idempotency-key": `adm-${process.pid}-${i}`, "cf-connecting-ip": p.ip, ...clock },
    body: { applicant_id: p.applicantId, service: "passport", office_id: HALL, date: DAY, period_id: "adm-1", phone: "13500001111", pickup: { method: "collect" }, agree_terms: true },
  });
}

test("ops switch the waiting room on; bad settings and other halls' staff are refused", async () => {
  const path = `/v1/ops/offices/${HALL}/days/${DAY}/admission`;
  assertError(await api("PUT", path, { headers: STAFF, body: { enabled: true } }), 403, "FORBIDDEN");
  const bad = await api("PUT", path, { headers: ADMIN, body: { enabled: true, batch_size: 0 } });
  assertError(bad, 400, "INVALID_ARGUMENT");
  assert.equal(bad.body.details.field, "batch_size");
  assertError(await api("PUT", `/v1/ops/offices/xx-nowhere/days/${DAY}/admission`, { headers: ADMIN, body: { enabled: true } }), 404, "NOT_FOUND");
  const on = assertOk(
    await api("PUT", path, { headers: ADMIN, body: { enabled: true, batch_size: 50, batch_interval_seconds: 30, admitted_for_seconds: 600 } }),
  );
  assert.equal(on.admission.enabled, true);
  assert.equal(on.admission.opens_at, `${TODAY}T08:00:00+08:00`, "the day's release, by default");
});

test("nobody books before the release; at it, places go in lottery order, a batch at a time", async () => {
  const status = (p, clock) => api("GET", `/v1/bookings/admission?office_id=${HALL}&date=${DAY}`, { token: p.token, headers: clock });
  assert.equal(assertOk(await status(people[0], at("07:40:00"))).status, "not_joined");

  // Everyone joins before the release, in index order: the first 50 are the "fastest".
  await pool(people, 20, async (p) => {
    const joined = assertOk(await api("POST", "/v1/bookings/admission", { token: p.token, headers: at("07:50:00"), body: { office_id: HALL, date: DAY } }));
    assert.equal(joined.status, "waiting");
    assert.equal(joined.position, null, "positions are drawn at the release");
  });

  // A minute early, a storm of scripted submits gets nothing.
  const early = await Promise.all(people.map((p, i) => submit(p, i, at("07:59:00"))));
  assert.ok(early.every((r) => r.status === 409 && r.body.code === "OUTSIDE_BOOKING_WINDOW"), early.find((r) => r.status !== 409)?.text);

  // At the release everybody submits at once: only the first batch of the lottery books.
  const first = await Promise.all(people.map((p, i) => submit(p, i, at("08:00:00"))));
  const won1 = first.map((r, i) => (r.status === 201 ? i : -1)).filter((i) => i >= 0);
  assert.equal(won1.length, 50, first.filter((r) => r.status !== 201 && r.status !== 429).map((r) => r.text).slice(0, 2).join("\n"));
  for (const r of first.filter((r) => r.status !== 201)) {
    assertError(r, 429, "RATE_LIMITED");
    const position = r.body.details.position;
    assert.ok(position > 50, r.text);
    // Batches of 50 every 30 s: the wait is until this position's batch.
    assert.equal(r.headers.get("retry-after"), String(30 * Math.floor((position - 1) / 50)));
  }

  // Thirty seconds later the second batch books; the rest wait or find the period full.
  const waiting = people.map((p, i) => [p, i]).filter(([, i]) => !won1.includes(i));
  const second = await Promise.all(waiting.map(([p, i]) => submit(p, i, at("08:00:30"))));
  const won2 = second.map((r, k) => (r.status === 201 ? waiting[k][1] : -1)).filter((i) => i >= 0);
  assert.equal(won2.length, 50);
  const third = await Promise.all(
    waiting.filter(([, i]) => !won2.includes(i)).map(([p, i]) => submit(p, i, at("08:01:00"))),
  );
  assert.ok(third.every((r) => r.status === 409 && r.body.code === "SLOT_FULL"), third.find((r) => r.status !== 409)?.text);

  // The winners are exactly positions 1..100, and spread over the arrival order.
  const winners = [...won1, ...won2];
  const positions = await Promise.all(winners.map(async (i) => assertOk(await status(people[i], at("08:01:00"))).position));
  assert.deepEqual([...positions].sort((a, b) => a - b), [...Array(100).keys()].map((k) => k + 1));
  const fastest = winners.filter((i) => i < 50).length;
  const latest = winners.filter((i) => i >= 100).length;
  assert.ok(fastest < 45, `${fastest} of the 50 fastest won: arrival order should not matter`);
  assert.ok(latest > 20, `${latest} of the last 100 to arrive won`);

  const day = assertOk(await api("GET", `/v1/ops/offices/${HALL}/days/${DAY}`, { headers: ADMIN }));
  assert.equal(day.periods[0].taken, 100);
  assert.equal(day.periods[0].d1.booked, 100);
  assert.equal(day.admission.joined, PEOPLE);
  assert.equal(day.admission.drawn, true);

  // Someone who never joined is told to; switched off, the waiting room is gone.
  const stranger = await loginIdentified(`adm-late-${process.pid}`, idNumber("19491001", process.pid % 1000, "510104"), "陈二");
  assert.equal(assertOk(await status(stranger, at("08:02:00"))).status, "not_joined");
  assertOk(await api("PUT", `/v1/ops/offices/${HALL}/days/${DAY}/admission`, { headers: ADMIN, body: { enabled: false } }));
  assert.equal(assertOk(await status(stranger, at("08:02:00"))).status, "off");
});
