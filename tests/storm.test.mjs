// The booking wave: thousands submit for one period in the same instant. Exactly capacity
// bookings are made, everyone else gets SLOT_FULL, D1 and the inventory object agree, and
// double submits under one key change nothing.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { api, apiFresh, assertOk, clientIp, idNumber, loginIdentified, OPS, pool, shanghaiDate } from "./helpers.mjs";

const PEOPLE = Number(process.env.STORM_PEOPLE ?? 2000);
const CAPACITY = 100;

let people = [];

before(async () => {
  // Born 1960-01-01 onwards, one per day: unique, valid, adult ID numbers.
  const base = Date.UTC(1960, 0, 1);
  people = await pool([...Array(PEOPLE).keys()], 40, (i) => {
    const birth = new Date(base + i * 86_400_000).toISOString().slice(0, 10).replaceAll("-", "");
    return loginIdentified(`storm-${process.pid}-${i}`, idNumber(birth, 7, "310104"), "王五").then((p) => ({ ...p, ip: clientIp() }));
  });
});

async function wave({ office, date, period, service, twice }) {
  assertOk(
    await api("POST", "/v1/ops/schedules", {
      headers: OPS,
      body: { office_id: office, date, periods: [{ period_id: period, start: "09:00", end: "10:00", capacity: CAPACITY }] },
    }),
  );
  const send = (p, key) =>
    apiFresh("POST", "/v1/bookings", {
      token: p.token,
      // Each person from their own phone: submits are limited per client address.
      headers: { "idempotency-key": key, "cf-connecting-ip": p.ip },
      body: {
        applicant_id: p.applicantId,
        service,
        office_id: office,
        date,
        period_id: period,
        phone: "13800000000",
        pickup: { method: "collect" },
        agree_terms: true,
      },
    });
  // Every submit of the wave is in flight at once. Sent twice, the two copies of one submit race
  // each other; the local stack accepts about 2,000 connections at a time (production's edge has
  // no such limit), so the doubled wave is sent as 1,000 racing pairs at a time.
  const results = twice
    ? (await pool(people, Math.min(1000, people.length), (p, i) => {
        const key = `storm-${process.pid}-${period}-${i}`;
        return Promise.all([send(p, key), send(p, key)]);
      })).flat()
    : await Promise.all(people.map((p, i) => send(p, `storm-${process.pid}-${period}-${i}`)));
  const count = (code) => results.filter((r) => r.body?.code === code).length;
  const view = assertOk(await api("GET", `/v1/ops/offices/${office}/days/${date}`, { headers: OPS }));
  return { results, count, view: view.periods[0] };
}

test(`${PEOPLE} concurrent submits for a period of ${CAPACITY}: exactly ${CAPACITY} bookings`, async () => {
  const { results, count, view } = await wave({ office: "sz-futian", date: shanghaiDate(5), period: "storm-1", service: "passport", twice: false });
  const other = results.filter((r) => r.status !== 201 && r.body?.code !== "SLOT_FULL");
  assert.deepEqual(other.map((r) => `${r.status} ${r.text}`).slice(0, 3), []);
  assert.equal(results.filter((r) => r.status === 201).length, CAPACITY);
  assert.equal(count("SLOT_FULL"), PEOPLE - CAPACITY);
  assert.equal(view.taken, CAPACITY);
  assert.equal(view.d1.booked, CAPACITY, "D1 and the object agree");
  assert.equal(view.holds, 0);
});

test("the same wave with every submit sent twice under its key: still exactly the capacity", async () => {
  const { results, count, view } = await wave({ office: "sz-futian", date: shanghaiDate(6), period: "storm-2", service: "hk_macau_permit", twice: true });
  assert.equal(results.filter((r) => r.status >= 500).length, 0);
  assert.equal(view.taken, CAPACITY);
  assert.equal(view.d1.booked, CAPACITY);
  // Each pair answered alike: both booked with the same number, or both refused as full.
  for (let i = 0; i < results.length; i += 2) {
    const [a, b] = [results[i], results[i + 1]];
    assert.equal(a.status, b.status, `${a.text} / ${b.text}`);
    if (a.status === 201) assert.equal(a.body.data.booking_no, b.body.data.booking_no);
  }
  assert.equal(count("OK"), CAPACITY * 2);
  assert.equal(count("SLOT_FULL"), (PEOPLE - CAPACITY) * 2);
});
