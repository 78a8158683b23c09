// The waitlist (候补) through the local stack: positions in join order, cancels and a capacity
// raise serving entries in order before any new submit, a served entry the record refuses passing
// its place on, leaving, and authorization (a stranger gets 404, a helper may join for a principal).
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, assertError, assertOk, idNumber, loginIdentified, OPS, publish, shanghaiDate, subscribe, until } from "./helpers.mjs";

// A hall and day no other file of the suite publishes (publishing replaces a day's periods).
const OFFICE = "gz-yuexiu";
const DATE = shanghaiDate(6);

let seq = 0;
async function person(tag) {
  seq += 1;
  const n = (process.pid % 500) * 1000 + seq;
  const year = 1970 + (n % 30);
  const day = String(1 + (Math.floor(n / 30) % 28)).padStart(2, "0");
  const id = idNumber(`${year}08${day}`, Math.floor(n / 840) % 1000, "440106");
  const name = `${tag}-${process.pid}-${seq}`;
  const session = await loginIdentified(name, id, "王五");
  await subscribe(`wx-${name}`);
  return { ...session, openid: `wx-${name}` };
}

/** Waits until `who`'s account has been sent a subscribe message of `template`; returns them. */
async function toldOf(who, template) {
  const mine = (m) => m.touser === who.openid && m.template_id === template;
  return (await until("subscribe_messages", (all) => all.some(mine))).filter(mine);
}

const body = (applicantId, periods, extra = {}) => ({
  applicant_id: applicantId,
  service: "passport",
  office_id: OFFICE,
  date: DATE,
  phone: "13812345678",
  pickup: { method: "collect" },
  ...extra,
  ...(periods ? { period_ids: periods } : {}),
});

const book = (who, period, key, date = DATE) =>
  api("POST", "/v1/bookings", {
    token: who.token,
    headers: { "idempotency-key": key },
    body: { ...body(who.applicantId, null, { date }), period_id: period, agree_terms: true },
  });

const join = (who, periods, key, applicantId = who.applicantId) =>
  api("POST", "/v1/waitlist", { token: who.token, headers: { "idempotency-key": key }, body: body(applicantId, periods) });

const entry = async (who, id) => assertOk(await api("GET", `/v1/waitlist/${id}`, { token: who.token }));

/** Polls an entry until `pred` holds: its booking is written by the object's alarm, just after. */
async function entryUntil(who, id, pred, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = await entry(who, id);
    if (pred(e) || Date.now() > deadline) return e;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const periods = (capA) => [
  { period_id: "wl-a", start: "09:00", end: "10:00", capacity: capA },
  { period_id: "wl-b", start: "10:00", end: "11:00", capacity: 5 },
];

/** The waitlist's counts in the ops metrics: today's steps, and the entries for DATE by status. */
async function waitlistMetrics() {
  const today = shanghaiDate(0);
  const steps = assertOk(await api("GET", `/v1/ops/metrics?date=${today}&minutes=1`, { headers: OPS })).waitlist;
  const queued = assertOk(await api("GET", `/v1/ops/metrics?date=${DATE}&minutes=1`, { headers: OPS })).waitlist.by_status;
  return { today, steps, queued };
}

test("waitlist: positions, serving in order before new submits, capacity raised, a refusal passed on, leaving", async () => {
  const metricsBefore = await waitlistMetrics();
  await publish(OFFICE, DATE, periods(2));
  const bookers = [await person("wl-book"), await person("wl-book")];
  const booked = [];
  for (const [i, b] of bookers.entries()) booked.push(assertOk(await book(b, "wl-a", `wl-book-${process.pid}-${i}`), 201));

  // Joining a period with places is refused: book it instead.
  const early = await person("wl-early");
  const refused = await join(early, ["wl-b"], `wl-early-${process.pid}`);
  assertError(refused, 409, "CONFLICT");
  assert.equal(refused.body.details.reason, "places_available");

  const people = [];
  for (let i = 0; i < 20; i++) people.push(await person("wl-join"));
  const entries = [];
  for (const [i, p] of people.entries()) {
    const e = assertOk(await join(p, ["wl-a"], `wl-join-${process.pid}-${i}`), 201);
    assert.equal(e.status, "waiting");
    assert.equal(e.position, i + 1, "positions are the join order");
    assert.equal(e.phone, "138****5678");
    entries.push(e.waitlist_id);
  }
  // The same key again is the same entry; a second entry for the service is refused.
  const again = assertOk(await join(people[0], ["wl-a"], `wl-join-${process.pid}-0`), 201);
  assert.equal(again.waitlist_id, entries[0]);
  const second = await join(people[0], ["wl-a", "wl-b"], `wl-join-${process.pid}-0b`);
  assertError(second, 409, "CONFLICT");

  // Two cancels serve entries 1 and 2, in order; a new submit in between is still full.
  const stranger = await person("wl-stranger");
  assertOk(await api("POST", `/v1/bookings/${booked[0].booking_no}/cancel`, { token: bookers[0].token, body: {} }));
  assertError(await book(stranger, "wl-a", `wl-stranger-${process.pid}`), 409, "SLOT_FULL");
  assertOk(await api("POST", `/v1/bookings/${booked[1].booking_no}/cancel`, { token: bookers[1].token, body: {} }));
  const served = [];
  for (const i of [0, 1]) {
    const e = await entryUntil(people[i], entries[i], (x) => x.status === "booked");
    assert.equal(e.status, "booked", JSON.stringify(e));
    const b = assertOk(await api("GET", `/v1/bookings/${e.booking_no}`, { token: people[i].token }));
    assert.equal(b.status, "booked");
    assert.equal(b.period_id, "wl-a");
    served.push(b.booking_no);
    const told = await toldOf(people[i], "dev-tmpl-waitlist-booked");
    assert.equal(told.length, 1, "told once that the entry became a booking");
    assert.equal(told[0].data.character_string4.value, b.booking_no);
  }
  assert.equal((await entry(people[2], entries[2])).position, 1);

  // Capacity raised by 3 serves the next three and no more.
  await publish(OFFICE, DATE, periods(5));
  for (const i of [2, 3, 4]) {
    assert.equal((await entryUntil(people[i], entries[i], (x) => x.status === "booked")).status, "booked");
  }
  const sixth = await entry(people[5], entries[5]);
  assert.equal(sixth.status, "waiting");
  assert.equal(sixth.position, 1);

  // Entry 6 books the service elsewhere meanwhile: when a place comes, its booking is refused
  // and the place passes to entry 7.
  assertOk(await book(people[5], "wl-b", `wl-else-${process.pid}`), 201);
  assertOk(await api("POST", `/v1/bookings/${served[0]}/cancel`, { token: people[0].token, body: {} }));
  const passed = await entryUntil(people[6], entries[6], (x) => x.status === "booked");
  assert.equal(passed.status, "booked");
  const expired = await entry(people[5], entries[5]);
  assert.equal(expired.status, "expired");
  assert.equal(expired.reason, "already_booked");

  // The day as ops see it: wl-a full, its queue length beside it; object and D1 agree.
  const day = assertOk(await api("GET", `/v1/ops/offices/${OFFICE}/days/${DATE}`, { headers: OPS }));
  const a = day.periods.find((p) => p.period_id === "wl-a");
  assert.equal(a.taken, 5);
  assert.equal(a.waitlist, 13);

  // Someone else's entry is 404, and so is a malformed id.
  assertError(await api("GET", `/v1/waitlist/${entries[7]}`, { token: stranger.token }), 404, "NOT_FOUND");
  assertError(await api("DELETE", `/v1/waitlist/${entries[7]}`, { token: stranger.token }), 404, "NOT_FOUND");
  assertError(await api("GET", "/v1/waitlist/not-an-id!", { token: stranger.token }), 404, "NOT_FOUND");

  // Leaving: entry 8 goes, entry 9 moves up; leaving twice answers the same; a booked entry is 409.
  const left = assertOk(await api("DELETE", `/v1/waitlist/${entries[7]}`, { token: people[7].token }));
  assert.equal(left.status, "cancelled");
  assert.equal(assertOk(await api("DELETE", `/v1/waitlist/${entries[7]}`, { token: people[7].token })).status, "cancelled");
  assert.equal((await entry(people[8], entries[8])).position, 1);
  const bookedLeave = await api("DELETE", `/v1/waitlist/${entries[0]}`, { token: people[0].token });
  assertError(bookedLeave, 409, "CONFLICT");
  assert.equal(bookedLeave.body.details.reason, "booked");

  const mine = assertOk(await api("GET", "/v1/waitlist", { token: people[8].token })).entries;
  assert.deepEqual(mine.map((e) => [e.waitlist_id, e.status]), [[entries[8], "waiting"]]);

  // The metrics count what happened: 20 joined, 6 served, 1 lapsed (refused), 1 left.
  const metricsAfter = await waitlistMetrics();
  const delta = (a, b) => Object.fromEntries(Object.keys({ ...a, ...b }).map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)]));
  assert.deepEqual(delta(metricsBefore.queued, metricsAfter.queued), { waiting: 12, booked: 6, expired: 1, cancelled: 1 });
  if (metricsAfter.today === metricsBefore.today) {
    const { by_status: _b, ...before } = metricsBefore.steps;
    const { by_status: _a, ...after } = metricsAfter.steps;
    assert.deepEqual(delta(before, after), { joined: 20, served: 6, lapsed: 1, left: 1 });
  }
});

test("waitlist: entries lapse when the day is closed, and their people are told", async () => {
  // A hall and day of this test's own: closing it empties it.
  const date = shanghaiDate(3);
  await publish(OFFICE, date, [{ period_id: "wl-l", start: "09:00", end: "10:00", capacity: 1 }]);
  const first = await person("wl-l-first");
  assertOk(await book(first, "wl-l", `wl-l-first-${process.pid}`, date), 201);
  const waiting = [await person("wl-l-wait"), await person("wl-l-wait")];
  const entries = [];
  for (const [i, p] of waiting.entries()) {
    const res = await api("POST", "/v1/waitlist", {
      token: p.token,
      headers: { "idempotency-key": `wl-l-${process.pid}-${i}` },
      body: { ...body(p.applicantId, ["wl-l"]), date },
    });
    const e = assertOk(res, 201);
    assert.equal(e.position, i + 1);
    entries.push(e.waitlist_id);
  }
  const closed = assertOk(await api("POST", `/v1/ops/offices/${OFFICE}/days/${date}/close`, { headers: OPS, body: { reason: "设备检修暂停办理" } }));
  assert.equal(closed.closed, true);
  for (const [i, p] of waiting.entries()) {
    const e = await entryUntil(p, entries[i], (x) => x.status !== "waiting");
    assert.equal(e.status, "expired", JSON.stringify(e));
    assert.equal(e.reason, "no_longer_bookable");
    assert.equal(e.position ?? null, null, "an entry that lapsed has no place in the queue");
    assert.equal((await toldOf(p, "dev-tmpl-waitlist-expired")).length, 1, "told once that it lapsed");
  }
  // The day is closed: no entry can join it again.
  const late = await person("wl-l-late");
  const refused = await api("POST", "/v1/waitlist", {
    token: late.token,
    headers: { "idempotency-key": `wl-l-late-${process.pid}` },
    body: { ...body(late.applicantId, ["wl-l"]), date },
  });
  assertError(refused, 409, "OUTSIDE_BOOKING_WINDOW");
});

test("waitlist: a helper joins for a principal; bad input is a 4xx", async () => {
  const date = shanghaiDate(5);
  await publish(OFFICE, date, [{ period_id: "wl-h", start: "14:00", end: "15:00", capacity: 1 }]);
  const first = await person("wl-h-first");
  assertOk(await book(first, "wl-h", `wl-h-first-${process.pid}`, date), 201);
  const helper = await person("wl-helper");
  const parentId = idNumber(`1950${String(1 + (process.pid % 12)).padStart(2, "0")}11`, process.pid % 1000, "440106");
  const parent = assertOk(
    await api("POST", "/v1/applicants", {
      token: helper.token,
      body: { name: "王老太", id_number: parentId, relation: "parent", verify_token: "dev-ok" },
    }),
    201,
  );
  const principal = parent.applicant_id ?? parent.applicant?.applicant_id;
  assert.ok(principal, JSON.stringify(parent));
  const res = await api("POST", "/v1/waitlist", {
    token: helper.token,
    headers: { "idempotency-key": `wl-helper-${process.pid}` },
    body: { ...body(principal, ["wl-h"]), date },
  });
  const e = assertOk(res, 201);
  assert.equal(e.position, 1);
  assert.equal((await entry(helper, e.waitlist_id)).applicant_id, principal);
  const stranger = await person("wl-h-stranger");
  assertError(await api("GET", `/v1/waitlist/${e.waitlist_id}`, { token: stranger.token }), 404, "NOT_FOUND");
  // Joining for someone one is not linked to is 404, as a submit would be.
  const notMine = await api("POST", "/v1/waitlist", {
    token: stranger.token,
    headers: { "idempotency-key": `wl-notmine-${process.pid}` },
    body: { ...body(principal, ["wl-h"]), date },
  });
  assertError(notMine, 404, "NOT_FOUND");

  const bad = (b, key) => api("POST", "/v1/waitlist", { token: helper.token, headers: key ? { "idempotency-key": key } : {}, body: b });
  assertError(await bad({ ...body(principal, ["wl-h"]), date }), 400, "INVALID_ARGUMENT");
  assertError(await bad({ ...body(principal, []), date }, `wl-bad1-${process.pid}`), 400, "INVALID_ARGUMENT");
  assertError(await bad({ ...body(principal, ["wl-h", "wl-h"]), date }, `wl-bad2-${process.pid}`), 400, "INVALID_ARGUMENT");
  assertError(await bad({ ...body(principal, ["nope"]), date }, `wl-bad3-${process.pid}`), 409, "OUTSIDE_BOOKING_WINDOW");
  const noBody = await api("POST", "/v1/waitlist", { token: helper.token, headers: { "idempotency-key": `wl-bad4-${process.pid}` }, raw: "{" });
  assert.ok(noBody.status >= 400 && noBody.status < 500, noBody.text);
});

test("waitlist: on a waiting-room day entries stand in the lottery's order, not in the order they joined", async () => {
  // A day released three days ago at 08:00 with the waiting room on; the dev clock replays that
  // morning. The day is inside the window by the real clock too, which the object's alarm serves by.
  const day = shanghaiDate(4);
  const released = shanghaiDate(-3);
  const at = (hhmmss) => ({ "x-dev-now": `${released}T${hhmmss}+08:00` });
  await publish(OFFICE, day, [{ period_id: "wl-r", start: "09:00", end: "10:00", capacity: 1 }]);
  assertOk(
    await api("PUT", `/v1/ops/offices/${OFFICE}/days/${day}/admission`, {
      headers: OPS,
      body: { enabled: true, batch_size: 50, batch_interval_seconds: 30, admitted_for_seconds: 600 },
    }),
  );
  const crowd = [];
  for (let i = 0; i < 8; i++) crowd.push(await person("wl-room"));
  for (const p of crowd) {
    assertOk(await api("POST", "/v1/bookings/admission", { token: p.token, headers: at("07:50:00"), body: { office_id: OFFICE, date: day } }));
  }
  // At the release the lottery is drawn and everyone is in the first batch.
  for (const p of crowd) {
    const s = assertOk(await api("GET", `/v1/bookings/admission?office_id=${OFFICE}&date=${day}`, { token: p.token, headers: at("08:00:05") }));
    assert.equal(s.status, "admitted", JSON.stringify(s));
    p.rank = s.position;
  }
  const byRank = [...crowd].sort((a, b) => a.rank - b.rank);
  const [best, ...rest] = byRank;
  const booked = assertOk(
    await api("POST", "/v1/bookings", {
      token: best.token,
      headers: { "idempotency-key": `wl-room-book-${process.pid}`, ...at("08:00:10") },
      body: { ...body(best.applicantId, null, { date: day }), period_id: "wl-r", agree_terms: true },
    }),
    201,
  );

  // The others join the waitlist worst rank first: each newcomer goes ahead of everyone waiting.
  const ids = new Map();
  for (const [k, p] of [...rest].reverse().entries()) {
    const e = assertOk(
      await api("POST", "/v1/waitlist", {
        token: p.token,
        headers: { "idempotency-key": `wl-room-${process.pid}-${k}`, ...at("08:01:00") },
        body: { ...body(p.applicantId, ["wl-r"]), date: day },
      }),
      201,
    );
    assert.equal(e.position, 1, "a better rank than all who wait");
    ids.set(p, e.waitlist_id);
  }
  for (const [k, p] of rest.entries()) {
    assert.equal((await entry(p, ids.get(p))).position, k + 1, `rank ${p.rank} stands ${k + 1}`);
  }

  // Someone who never entered the waiting room cannot join the waitlist either.
  const outsider = await person("wl-room-out");
  const refused = await api("POST", "/v1/waitlist", {
    token: outsider.token,
    headers: { "idempotency-key": `wl-room-out-${process.pid}`, ...at("08:01:00") },
    body: { ...body(outsider.applicantId, ["wl-r"]), date: day },
  });
  assertError(refused, 429, "RATE_LIMITED");
  assert.equal(refused.body.details.reason, "admission");

  // The freed place goes to the best ranked entry, the last to join.
  assertOk(await api("POST", `/v1/bookings/${booked.booking_no}/cancel`, { token: best.token, body: {} }));
  const served = await entryUntil(rest[0], ids.get(rest[0]), (x) => x.status === "booked");
  assert.equal(served.status, "booked", JSON.stringify(served));
  assert.equal((await entry(rest.at(-1), ids.get(rest.at(-1)))).position, rest.length - 1);
});
