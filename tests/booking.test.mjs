// Booking and cancelling through the local stack: the contract's answers, idempotency, the
// one-active-booking rule, a booking wave on one period, and faults injected between the
// inventory object and D1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, assertError, assertOk, idNumber, loginIdentified, OPS, publish, shanghaiDate } from "./helpers.mjs";

// Days 1..6 from today (shanghaiDate) are always inside the booking window.
let seq = 0;
/** A fresh identified user with its own ID number (born 1970–1999, unique sequence). */
async function person(tag) {
  seq += 1;
  const n = (process.pid % 500) * 1000 + seq;
  const year = 1970 + (n % 30);
  const day = String(1 + (Math.floor(n / 30) % 28)).padStart(2, "0");
  const id = idNumber(`${year}05${day}`, Math.floor(n / 840) % 1000, "440305");
  return loginIdentified(`${tag}-${process.pid}-${seq}`, id, "李四");
}

async function dayView(office, date) {
  return assertOk(await api("GET", `/v1/ops/offices/${office}/days/${date}`, { headers: OPS }));
}

function bookingBody(applicantId, office, date, periodId, extra = {}) {
  return {
    applicant_id: applicantId,
    service: "passport",
    office_id: office,
    date,
    period_id: periodId,
    phone: "13812345678",
    pickup: { method: "collect" },
    agree_terms: true,
    ...extra,
  };
}

function submit(who, body, key, headers = {}) {
  return api("POST", "/v1/bookings", {
    token: who.token,
    body,
    headers: { "idempotency-key": key, ...headers },
  });
}

let keySeq = 0;
const newKey = () => `k-${process.pid}-${Date.now()}-${++keySeq}`;

test("a booking is made, read, listed, guarded from strangers, and cancelled", async () => {
  const date = shanghaiDate(2);
  await publish("sz-nanshan", date, [{ period_id: "t-a", start: "09:00", end: "10:00", capacity: 2 }]);
  const me = await person("book-basic");
  const stranger = await person("book-stranger");

  const res = await submit(me, bookingBody(me.applicantId, "sz-nanshan", date, "t-a"), newKey());
  const b = assertOk(res, 201);
  assert.equal(b.status, "booked");
  assert.match(b.booking_no, /^[0-9A-Z*~$=U]{12}$/);
  assert.equal(b.phone, "138****5678");
  assert.match(b.qr_payload, /^YY1\./);
  assert.ok(!b.qr_payload.includes("13812345678"));
  assert.equal(b.start, "09:00");

  assert.deepEqual(assertOk(await api("GET", `/v1/bookings/${b.booking_no}`, { token: me.token })).booking_no, b.booking_no);
  const listed = assertOk(await api("GET", "/v1/bookings", { token: me.token })).bookings;
  assert.ok(listed.some((x) => x.booking_no === b.booking_no));

  assertError(await api("GET", `/v1/bookings/${b.booking_no}`, { token: stranger.token }), 404, "NOT_FOUND");
  assertError(await api("POST", `/v1/bookings/${b.booking_no}/cancel`, { token: stranger.token }), 404, "NOT_FOUND");
  assertError(await api("GET", `/v1/bookings?applicant_id=${me.applicantId}`, { token: stranger.token }), 404, "NOT_FOUND");
  const intact = assertOk(await api("GET", `/v1/bookings/${b.booking_no}`, { token: me.token }));
  assert.equal(intact.status, "booked");

  let view = await dayView("sz-nanshan", date);
  assert.equal(view.periods[0].taken, 1);

  const cancelled = assertOk(await api("POST", `/v1/bookings/${b.booking_no}/cancel`, { token: me.token, body: { reason: "行程有变" } }));
  assert.equal(cancelled.status, "cancelled");
  assert.equal(cancelled.qr_payload, null);
  view = await dayView("sz-nanshan", date);
  assert.equal(view.periods[0].taken, 0, "the place is free again at once");
  const again = assertOk(await api("POST", `/v1/bookings/${b.booking_no}/cancel`, { token: me.token }));
  assert.deepEqual(again, cancelled);
});

test("three cancellations in 30 days refuse the next booking with LIMIT_EXCEEDED until the oldest ages out, its place freed", async () => {
  const date = shanghaiDate(6);
  await publish("sh-pudong", date, [{ period_id: "t-q", start: "09:00", end: "10:00", capacity: 5 }]);
  const me = await person("book-quota");
  const cancelledAt = [];
  for (let i = 0; i < 3; i++) {
    const b = assertOk(await submit(me, bookingBody(me.applicantId, "sh-pudong", date, "t-q"), newKey()), 201);
    const before = Date.now();
    assertOk(await api("POST", `/v1/bookings/${b.booking_no}/cancel`, { token: me.token }));
    cancelledAt.push(before);
  }
  const refused = await submit(me, bookingBody(me.applicantId, "sh-pudong", date, "t-q"), newKey());
  assertError(refused, 429, "LIMIT_EXCEEDED");
  const until = Date.parse(refused.body.details.until);
  const thirtyDays = 30 * 24 * 3600 * 1000;
  assert.ok(until >= cancelledAt[0] + thirtyDays - 2000 && until <= cancelledAt[1] + thirtyDays, `until ${refused.body.details.until}: 30 days after the oldest cancellation`);
  const view = await dayView("sh-pudong", date);
  assert.equal(view.periods[0].taken, 0, "the refused submit's hold is released");
  assert.equal(view.periods[0].holds, 0);
  assert.equal(view.periods[0].d1.booked, 0);
});

test("idempotency: the same key and body replays; another body is a mismatch; no key is refused; a retry after logout is 401", async () => {
  const date = shanghaiDate(3);
  await publish("sz-nanshan", date, [{ period_id: "t-i", start: "10:00", end: "11:00", capacity: 5 }]);
  const me = await person("book-idem");
  const key = newKey();
  const body = bookingBody(me.applicantId, "sz-nanshan", date, "t-i");
  const first = assertOk(await submit(me, body, key), 201);
  const second = assertOk(await submit(me, body, key), 201);
  assert.deepEqual(second, first);
  assertError(await submit(me, { ...body, phone: "13900000000" }, key), 422, "IDEMPOTENCY_MISMATCH");
  assertError(await api("POST", "/v1/bookings", { token: me.token, body }), 400, "INVALID_ARGUMENT");
  // A retry of a confirmed booking is answered from the record alone, still only to a live login.
  assertOk(await api("POST", "/v1/auth/logout", { token: me.token }));
  assertError(await submit(me, body, key), 401, "UNAUTHENTICATED");
  const view = await dayView("sz-nanshan", date);
  assert.equal(view.periods[0].taken, 1);
  assert.equal(view.periods[0].d1.booked, 1);
});

test("bad input gets a 4xx with a stable code and writes nothing", async () => {
  const date = shanghaiDate(3);
  await publish("sz-longgang", date, [{ period_id: "t-v", start: "10:00", end: "11:00", capacity: 5 }]);
  const me = await person("book-bad");
  const good = bookingBody(me.applicantId, "sz-longgang", date, "t-v");
  const cases = [
    [{ ...good, phone: "12345" }, 400, "INVALID_ARGUMENT", "phone"],
    [{ ...good, agree_terms: false }, 400, "INVALID_ARGUMENT", "agree_terms"],
    [{ ...good, pickup: { method: "mail" } }, 400, "INVALID_ARGUMENT", "pickup.address"],
    [{ ...good, date: "2026-02-30" }, 400, "INVALID_ARGUMENT", "date"],
    [{ ...good, service: "driving" }, 400, "INVALID_ARGUMENT", "service"],
    [{ ...good, date: shanghaiDate(30) }, 409, "OUTSIDE_BOOKING_WINDOW"],
    [{ ...good, period_id: "nope" }, 409, "OUTSIDE_BOOKING_WINDOW"],
    [{ ...good, office_id: "xx-nowhere" }, 404, "NOT_FOUND"],
    [{ ...good, applicant_id: "a_0000000000000000000000000000dead" }, 404, "NOT_FOUND"],
  ];
  for (const [body, status, code, field] of cases) {
    const res = await submit(me, body, newKey());
    assertError(res, status, code);
    if (field) assert.equal(res.body.details.field, field);
  }
  assertError(await api("POST", "/v1/bookings", { token: me.token, raw: "{not json", headers: { "content-type": "application/json", "idempotency-key": newKey() } }), 400, "INVALID_ARGUMENT");
  assertError(await api("POST", "/v1/bookings", { token: me.token, raw: "x=1", headers: { "content-type": "text/plain", "idempotency-key": newKey() } }), 415, "UNSUPPORTED_MEDIA_TYPE");
  assertError(await api("POST", "/v1/bookings", { token: me.token, raw: JSON.stringify({ pad: "x".repeat(70_000) }), headers: { "content-type": "application/json", "idempotency-key": newKey() } }), 413, "PAYLOAD_TOO_LARGE");
  assertError(await api("POST", "/v1/bookings", { body: good, headers: { "idempotency-key": newKey() } }), 401, "UNAUTHENTICATED");
  const view = await dayView("sz-longgang", date);
  assert.equal(view.periods[0].taken, 0);
  assert.equal(view.periods[0].d1.booked, 0);
});

test("a full period answers SLOT_FULL, and one active booking per applicant and service", async () => {
  const date = shanghaiDate(4);
  await publish("sz-nanshan", date, [{ period_id: "t-f", start: "09:00", end: "10:00", capacity: 1 }]);
  await publish("sz-longgang", date, [{ period_id: "t-f", start: "09:00", end: "10:00", capacity: 5 }]);
  const a = await person("book-full-a");
  const b = await person("book-full-b");
  assertOk(await submit(a, bookingBody(a.applicantId, "sz-nanshan", date, "t-f"), newKey()), 201);
  assertError(await submit(b, bookingBody(b.applicantId, "sz-nanshan", date, "t-f"), newKey()), 409, "SLOT_FULL");
  assertError(await submit(a, bookingBody(a.applicantId, "sz-longgang", date, "t-f"), newKey()), 409, "ALREADY_BOOKED");
  const view = await dayView("sz-longgang", date);
  assert.equal(view.periods[0].taken, 0, "the refused booking's hold was released");
});

/** `token` with its signature replaced: the claims name the same user, the signature is wrong. */
function forged(token) {
  const [header, payload] = token.split(".");
  return `${header}.${payload}.${Buffer.alloc(64, 7).toString("base64url")}`;
}

test("a forged token: SLOT_FULL only where the period is known full, 401 everywhere else, and nothing booked", async () => {
  const date = shanghaiDate(4);
  await publish("sh-pudong", date, [{ period_id: "t-ff", start: "09:00", end: "10:00", capacity: 1 }]);
  await publish("bj-dongcheng", date, [{ period_id: "t-fo", start: "09:00", end: "10:00", capacity: 5 }]);
  const a = await person("book-forged-a");
  const b = await person("book-forged-b");
  const aKey = newKey();
  const first = assertOk(await submit(a, bookingBody(a.applicantId, "sh-pudong", date, "t-ff"), aKey), 201);
  const fake = { ...b, token: forged(b.token) };
  // The isolate knows the period is full (from a's hold, which took its last place, and from
  // the object's refusal of b): a submit for it right after is refused as full before its
  // token's signature is checked. (The isolate answers from memory for 600 ms, and up to 750 ms
  // while one submit asks the object again; a slow moment gets 401, so the pair is tried a few
  // times.)
  const early = [];
  for (let i = 0; i < 3; i++) {
    assertError(await submit(b, bookingBody(b.applicantId, "sh-pudong", date, "t-ff"), newKey()), 409, "SLOT_FULL");
    const res = await submit(fake, bookingBody(b.applicantId, "sh-pudong", date, "t-ff"), newKey());
    assert.ok([401, 409].includes(res.status), `forged token got ${res.status}`);
    early.push(res.body.code);
  }
  assert.ok(early.includes("SLOT_FULL"), `a known-full period refuses a forged token as full: ${early}`);
  assert.ok(early.every((c) => c === "SLOT_FULL" || c === "UNAUTHENTICATED"), `${early}`);
  // The holder's key under a forged token is not a refusal: it goes on to the signature check.
  assertError(await submit({ ...a, token: forged(a.token) }, bookingBody(a.applicantId, "sh-pudong", date, "t-ff"), aKey), 401, "UNAUTHENTICATED");
  // An open period, no token, or a malformed one: the usual 401.
  assertError(await submit(fake, bookingBody(b.applicantId, "bj-dongcheng", date, "t-fo"), newKey()), 401, "UNAUTHENTICATED");
  assertError(await submit({ token: undefined }, bookingBody(b.applicantId, "sh-pudong", date, "t-ff"), newKey()), 401, "UNAUTHENTICATED");
  assertError(await submit({ token: "not.a.token" }, bookingBody(b.applicantId, "sh-pudong", date, "t-ff"), newKey()), 401, "UNAUTHENTICATED");
  // Nothing was booked or held by any of it; the real holder's retry still gets its answer.
  assert.equal((await dayView("bj-dongcheng", date)).periods[0].taken, 0);
  const full = await dayView("sh-pudong", date);
  assert.equal(full.periods[0].taken, 1);
  const again = assertOk(await submit(a, bookingBody(a.applicantId, "sh-pudong", date, "t-ff"), aKey), 201);
  assert.equal(again.booking_no, first.booking_no);
});

test("the submit that takes a period's last place tells the isolate it is full, and its retry does not make it forget", async () => {
  const date = shanghaiDate(3);
  const b = await person("book-last-b");
  const fake = { ...b, token: forged(b.token) };
  // A forged token gets SLOT_FULL only from an isolate that knows the period is full, and here
  // nobody was refused yet: only the last place's hold can have told it; then the holder's
  // retry must leave it knowing. The isolate answers from memory for 600 ms; a slow moment
  // (401) is tried again on a fresh period.
  const seen = [];
  const periods = [];
  for (let i = 0; i < 3 && !seen.includes("SLOT_FULL SLOT_FULL"); i++) {
    const period = `t-last-${i}`;
    periods.push({ period_id: period, start: `1${i}:00`, end: `1${i}:30`, capacity: 1 });
    await publish("sh-pudong", date, periods);
    const a = await person(`book-last-a${i}`);
    const key = newKey();
    const body = bookingBody(a.applicantId, "sh-pudong", date, period);
    const booked = assertOk(await submit(a, body, key), 201);
    const first = await submit(fake, bookingBody(b.applicantId, "sh-pudong", date, period), newKey());
    assert.equal(assertOk(await submit(a, body, key), 201).booking_no, booked.booking_no, "the retry replays");
    const afterRetry = await submit(fake, bookingBody(b.applicantId, "sh-pudong", date, period), newKey());
    for (const res of [first, afterRetry]) assert.ok([401, 409].includes(res.status), `forged token got ${res.status}`);
    seen.push(`${first.body.code} ${afterRetry.body.code}`);
    const view = (await dayView("sh-pudong", date)).periods.find((p) => p.period_id === period);
    assert.equal(view.taken, 1, "nothing held for the refusals");
  }
  assert.ok(seen.includes("SLOT_FULL SLOT_FULL"), `the last hold made the period known full, and its retry kept it so: ${seen}`);
});

test("one applicant submitting to 10 halls at once gets exactly one booking", async () => {
  const date = shanghaiDate(5);
  const halls = ["bj-dongcheng", "bj-chaoyang", "bj-haidian", "sh-pudong", "sh-xuhui", "sh-minhang", "gz-yuexiu", "gz-tianhe", "gz-panyu", "hz-xihu"];
  for (const h of halls) await publish(h, date, [{ period_id: "t-m", start: "09:00", end: "10:00", capacity: 3 }]);
  const me = await person("book-multi");
  const results = await Promise.all(
    halls.map((h) => submit(me, bookingBody(me.applicantId, h, date, "t-m", { service: "hk_macau_permit" }), newKey())),
  );
  const statuses = results.map((r) => r.status).sort();
  assert.equal(statuses.filter((s) => s === 201).length, 1, JSON.stringify(results.map((r) => r.body?.code)));
  for (const r of results.filter((r) => r.status !== 201)) assertError(r, 409, "ALREADY_BOOKED");
  let taken = 0;
  for (const h of halls) taken += (await dayView(h, date)).periods[0].taken;
  assert.equal(taken, 1, "every other hall's hold was released");
});

test("a write lost after the hold: no booking, and the place comes back when the hold lapses", async () => {
  const date = shanghaiDate(6);
  await publish("sz-nanshan", date, [{ period_id: "t-x", start: "09:00", end: "10:00", capacity: 1 }]);
  const a = await person("book-fault-a");
  const b = await person("book-fault-b");
  const key = newKey();
  const body = bookingBody(a.applicantId, "sz-nanshan", date, "t-x");
  const lost = await submit(a, body, key, { "x-dev-fault": "lose-write", "x-dev-hold-seconds": "1" });
  assertError(lost, 503, "UPSTREAM_UNAVAILABLE");
  assert.equal((await dayView("sz-nanshan", date)).periods[0].taken, 1, "held until the outcome is known");
  await new Promise((r) => setTimeout(r, 2500));
  const view = await dayView("sz-nanshan", date);
  assert.equal(view.periods[0].taken, 0, "the object's alarm found no booking behind the lapsed hold");
  const rec = assertOk(await api("POST", "/v1/ops/reconcile", { headers: OPS, body: { office_id: "sz-nanshan", date } }));
  assert.equal(rec.record_count, 0);
  assert.deepEqual(rec.released, [], "nothing was left for reconciliation to repair");
  assertOk(await submit(b, bookingBody(b.applicantId, "sz-nanshan", date, "t-x"), newKey()), 201);
});

test("a confirm lost after the write: the booking keeps its place and a retry returns it", async () => {
  const date = shanghaiDate(6);
  await publish("sz-longgang", date, [{ period_id: "t-y", start: "09:00", end: "10:00", capacity: 1 }]);
  const a = await person("book-fault-c");
  const b = await person("book-fault-d");
  const key = newKey();
  const body = bookingBody(a.applicantId, "sz-longgang", date, "t-y");
  const first = assertOk(await submit(a, body, key, { "x-dev-fault": "lose-confirm", "x-dev-hold-seconds": "1" }), 201);
  await new Promise((r) => setTimeout(r, 2500));
  const view = await dayView("sz-longgang", date);
  assert.equal(view.periods[0].taken, 1);
  assert.equal(view.periods[0].holds, 0, "the object's alarm confirmed the lapsed hold against D1");
  assertError(await submit(b, bookingBody(b.applicantId, "sz-longgang", date, "t-y"), newKey()), 409, "SLOT_FULL");
  const rec = assertOk(await api("POST", "/v1/ops/reconcile", { headers: OPS, body: { office_id: "sz-longgang", date } }));
  assert.equal(rec.record_count, 1);
  assert.deepEqual([rec.released, rec.confirmed, rec.restored], [[], [], []], "nothing left to repair");
  assert.deepEqual(assertOk(await submit(a, body, key), 201), first);
});

test("a record that cannot be read once the place is held: 503, the hold given up, nothing written", async () => {
  const date = shanghaiDate(6);
  await publish("bj-chaoyang", date, [{ period_id: "t-rl", start: "11:00", end: "12:00", capacity: 2 }]);
  // Two places: the hold does not fill the period, so nothing is remembered full meanwhile.
  const a = await person("book-fault-g");
  const b = await person("book-fault-h");
  const res = await submit(a, bookingBody(a.applicantId, "bj-chaoyang", date, "t-rl"), newKey(), { "x-dev-fault": "lose-read" });
  assertError(res, 503, "UPSTREAM_UNAVAILABLE");
  assert.equal(res.body.details.injected, true);
  const view = await dayView("bj-chaoyang", date);
  assert.deepEqual([view.periods[0].taken, view.periods[0].d1.booked], [0, 0]);
  assertOk(await submit(b, bookingBody(b.applicantId, "bj-chaoyang", date, "t-rl"), newKey()), 201);
});

test("a refused submit whose abandon is lost: its hold lapses and the place comes back", async () => {
  const date = shanghaiDate(4);
  await publish("bj-haidian", date, [{ period_id: "t-ab", start: "11:00", end: "12:00", capacity: 1 }]);
  const a = await person("book-fault-e");
  const b = await person("book-fault-f");
  // Someone else's applicant: refused once the place is held, by the record's checks.
  const theirs = bookingBody(b.applicantId, "bj-haidian", date, "t-ab");
  assertError(await submit(a, theirs, newKey(), { "x-dev-fault": "lose-abandon", "x-dev-hold-seconds": "1" }), 404, "NOT_FOUND");
  // The hold nobody gave up still holds the place.
  assertError(await submit(b, theirs, newKey()), 409, "SLOT_FULL");
  await new Promise((r) => setTimeout(r, 2500));
  const view = await dayView("bj-haidian", date);
  assert.deepEqual([view.periods[0].taken, view.periods[0].holds], [0, 0], "the alarm freed the lapsed hold: no booking behind it");
  assertOk(await submit(b, theirs, newKey()), 201);
});

test("a refused retry under a booking's key keeps the booking's place", async () => {
  const date = shanghaiDate(2);
  await publish("hz-xihu", date, [{ period_id: "t-k", start: "09:00", end: "10:00", capacity: 1 }]);
  const a = await person("book-keep-a");
  const b = await person("book-keep-b");
  const key = newKey();
  const body = bookingBody(a.applicantId, "hz-xihu", date, "t-k");
  const first = assertOk(await submit(a, body, key), 201);
  // The same key (the same booking number, so the same place) for an applicant `a` may not
  // act for: refused once the place is held, and the refusal gives up only what it held.
  const refused = await submit(a, { ...body, applicant_id: b.applicantId }, key);
  assert.ok(refused.status >= 400 && refused.status < 500, `${refused.status} ${refused.body?.code}`);
  const view = await dayView("hz-xihu", date);
  assert.deepEqual([view.periods[0].taken, view.periods[0].holds, view.periods[0].d1.booked], [1, 0, 1], "the booking keeps its place");
  assertError(await submit(b, bookingBody(b.applicantId, "hz-xihu", date, "t-k"), newKey()), 409, "SLOT_FULL");
  const rec = assertOk(await api("POST", "/v1/ops/reconcile", { headers: OPS, body: { office_id: "hz-xihu", date } }));
  assert.deepEqual([rec.record_count, rec.released, rec.confirmed, rec.restored], [1, [], [], []]);
  assert.deepEqual(assertOk(await submit(a, body, key), 201), first);
});

test("a hold two submits of one number rely on stays until the last gives up, then lapses", async () => {
  const date = shanghaiDate(6);
  await publish("hz-xihu", date, [{ period_id: "t-j", start: "09:00", end: "10:00", capacity: 1 }]);
  const a = await person("book-join-a");
  const b = await person("book-join-b");
  const key = newKey();
  const body = bookingBody(a.applicantId, "hz-xihu", date, "t-j");
  const short = { "x-dev-hold-seconds": "2" };
  // The first submit's write is lost: its hold stays, unconfirmed, until it lapses.
  assertError(await submit(a, body, key, { "x-dev-fault": "lose-write", ...short }), 503, "UPSTREAM_UNAVAILABLE");
  // A second submit under the same key joins that hold and is refused: it gives up its share only.
  const refused = await submit(a, { ...body, applicant_id: b.applicantId }, key, short);
  assert.ok(refused.status >= 400 && refused.status < 500, `${refused.status} ${refused.body?.code}`);
  const held = await dayView("hz-xihu", date);
  assert.deepEqual([held.periods[0].taken, held.periods[0].holds], [1, 1], "the first submit may still have written");
  // Once it lapses, the object finds no booking behind it and frees the place.
  await new Promise((r) => setTimeout(r, 3500));
  const after = await dayView("hz-xihu", date);
  assert.deepEqual([after.periods[0].taken, after.periods[0].d1.booked], [0, 0]);
  assertOk(await submit(b, bookingBody(b.applicantId, "hz-xihu", date, "t-j"), newKey()), 201);
});

test("a booking whose place was lost before its confirmation is withdrawn: SLOT_FULL, never more bookings than places", async () => {
  const date = shanghaiDate(4);
  await publish("hz-xihu", date, [{ period_id: "t-w", start: "09:00", end: "10:00", capacity: 1 }]);
  const a = await person("book-lost-a");
  const key = newKey();
  const body = bookingBody(a.applicantId, "hz-xihu", date, "t-w");
  // Between the write and the confirmation the hold is gone and another number has the place.
  const lost = await submit(a, body, key, { "x-dev-fault": "lose-place" });
  assertError(lost, 409, "SLOT_FULL");
  const view = await dayView("hz-xihu", date);
  assert.deepEqual([view.periods[0].taken, view.periods[0].d1.booked], [1, 0], "the other number keeps the one place; the booking was withdrawn");
  const listed = assertOk(await api("GET", "/v1/bookings", { token: a.token })).bookings;
  assert.deepEqual(listed.map((b) => b.status), ["cancelled"]);
  // A retry under the key gets the first answer, even once the place is free again...
  assertError(await submit(a, body, key), 409, "SLOT_FULL");
  const rec = assertOk(await api("POST", "/v1/ops/reconcile", { headers: OPS, body: { office_id: "hz-xihu", date } }));
  assert.deepEqual([rec.record_count, rec.released.length, rec.restored, rec.unresolved], [0, 1, [], []], "the other number had no booking behind it");
  assertError(await submit(a, body, key), 409, "SLOT_FULL");
  assert.equal((await dayView("hz-xihu", date)).periods[0].taken, 0, "and the retry gave its hold up");
  // ...while a new submit books it (once the isolate's memory of the full period, at most
  // 750 ms, is past): the withdrawal is no active booking and no cancellation of theirs.
  await new Promise((r) => setTimeout(r, 1000));
  assertOk(await submit(a, body, newKey()), 201);
});

test("dev fault switches are refused unless asked for properly", async () => {
  const me = await person("book-fault-bad");
  const res = await submit(me, bookingBody(me.applicantId, "sz-nanshan", shanghaiDate(2), "t-a"), newKey(), { "x-dev-fault": "explode" });
  assertError(res, 400, "INVALID_ARGUMENT");
});

test("a user's submits that reach the record are limited per minute, with Retry-After, and the place is freed", async () => {
  const date = shanghaiDate(1);
  await publish("gz-tianhe", date, [{ period_id: "t-r", start: "14:00", end: "15:00", capacity: 50 }]);
  const me = await person("book-rate");
  const statuses = [];
  for (let i = 0; i < 11; i++) {
    statuses.push((await submit(me, bookingBody(me.applicantId, "gz-tianhe", date, "t-r"), newKey())).status);
  }
  // The first books; the next nine reach the record and find the active booking; the eleventh
  // is over the user's ten a minute.
  assert.deepEqual(statuses, [201, ...Array(9).fill(409), 429]);
  const limited = await submit(me, bookingBody(me.applicantId, "gz-tianhe", date, "t-r"), newKey());
  assertError(limited, 429, "RATE_LIMITED");
  assert.ok(Number(limited.headers.get("retry-after")) >= 1);
  assert.equal((await dayView("gz-tianhe", date)).periods[0].taken, 1, "refused submits hold nothing");
});
