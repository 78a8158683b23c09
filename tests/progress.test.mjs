// After the booking: check-in at the hall opens the application, the processing system's signed
// events move it along its timeline, the applicant reads it (and nobody else can), and the
// certificate it ends in is listed with its validity.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { api, assertError, assertOk, idNumber, loginIdentified, OPS as ADMIN, publish, shanghaiDate } from "./helpers.mjs";

const FUTIAN_STAFF = { authorization: "Bearer dev-hall-sz-futian-token" };
const SECRET = "dev-webhook-secret";

/** The day of the appointments: bookings are for a later day, so the hall's clock is moved. */
const DAY = shanghaiDate(2);
const at = (hhmm) => ({ "x-dev-now": `${DAY}T${hhmm}:00+08:00` });

let seq = 0;
async function person(tag) {
  seq += 1;
  const n = (process.pid % 500) * 100 + seq;
  const id = idNumber(`${1970 + (n % 30)}09${String(1 + (Math.floor(n / 30) % 28)).padStart(2, "0")}`, Math.floor(n / 840) % 1000, "440304");
  return loginIdentified(`${tag}-${process.pid}-${seq}`, id, "钱七");
}

const publishOn = (office, periods) => publish(office, DAY, periods);

let keySeq = 0;
async function book(who, { office = "sz-futian", period = "g-a", service = "passport", pickup = { method: "collect" } } = {}) {
  const res = await api("POST", "/v1/bookings", {
    token: who.token,
    headers: { "idempotency-key": `prog-${process.pid}-${Date.now()}-${++keySeq}` },
    body: { applicant_id: who.applicantId, service, office_id: office, date: DAY, period_id: period, phone: "13912345678", pickup, agree_terms: true },
  });
  return assertOk(res, 201);
}

function checkin(bookingNo, { headers = FUTIAN_STAFF, body, hhmm = "09:20" } = {}) {
  return api("POST", `/v1/ops/bookings/${bookingNo}/checkin`, { headers: { ...headers, ...(hhmm ? at(hhmm) : {}) }, body });
}

/** Sends a processing-system event signed as the contract says: hex HMAC of `ts + "." + body`. */
function event(applicationNo, payload, { hhmm = "11:00", ts = Math.floor(Date.now() / 1000), secret = SECRET, signature } = {}) {
  const raw = JSON.stringify(payload);
  const sig = signature ?? createHmac("sha256", secret).update(`${ts}.${raw}`).digest("hex");
  return api("POST", `/v1/ops/applications/${applicationNo}/events`, {
    raw,
    headers: { "content-type": "application/json", "x-timestamp": String(ts), "x-signature": sig, ...at(hhmm) },
  });
}

function tenYearsAfter(date) {
  const [y, m, d] = date.split("-");
  return m === "02" && d === "29" ? `${Number(y) + 10}-02-28` : `${Number(y) + 10}-${m}-${d}`;
}

test("check-in opens an accepted application, once, for today's booking at the caller's hall", async () => {
  await publishOn("sz-futian", [{ period_id: "g-a", start: "09:00", end: "10:00", capacity: 10 }]);
  await publishOn("hz-binjiang", [{ period_id: "g-x", start: "09:00", end: "10:00", capacity: 10 }]);
  const me = await person("prog-checkin");
  const other = await person("prog-elsewhere");
  const b = await book(me);
  const elsewhere = await book(other, { office: "hz-binjiang", period: "g-x" });

  // Not today (the real clock), another hall's staff, and QR codes that are not this booking's.
  const early = await checkin(b.booking_no, { hhmm: null });
  assertError(early, 409, "CONFLICT");
  assert.equal(early.body.details.reason, "not_today");
  assertError(await checkin(elsewhere.booking_no), 403, "FORBIDDEN");
  const forged = await checkin(b.booking_no, { body: { qr_payload: b.qr_payload.replace("g-a", "g-b") } });
  assertError(forged, 400, "INVALID_ARGUMENT");
  assert.equal(forged.body.details.field, "qr_payload");
  assertError(await checkin(b.booking_no, { headers: ADMIN, body: { qr_payload: elsewhere.qr_payload } }), 400, "INVALID_ARGUMENT");
  assertError(await checkin("NOT-A-BOOKING", { headers: ADMIN }), 400, "INVALID_ARGUMENT");
  assertError(await checkin("000000000011", { headers: ADMIN }), 404, "NOT_FOUND");
  assertError(await checkin(b.booking_no, { headers: { authorization: "Bearer nope" } }), 401, "UNAUTHENTICATED");
  assertError(await api("POST", `/v1/ops/bookings/${b.booking_no}/checkin`, { headers: { ...ADMIN, ...at("09:20") }, raw: "{", }), 415, "UNSUPPORTED_MEDIA_TYPE");

  const first = await checkin(b.booking_no, { body: { qr_payload: b.qr_payload } });
  const opened = assertOk(first, 201);
  assert.equal(opened.booking_status, "checked_in");
  assert.equal(opened.checked_in_at, `${DAY}T09:20:00+08:00`);
  const a = opened.application;
  assert.match(a.application_no, new RegExp(`^A${DAY.replaceAll("-", "")}[0-9A-Z]{8}.$`));
  assert.equal(a.status, "accepted");
  assert.equal(a.booking_no, b.booking_no);
  assert.deepEqual(a.timeline, [{ status: "accepted", label: "已受理", at: `${DAY}T09:20:00+08:00`, note: null }]);
  assert.equal(a.status_label, "已受理");
  assert.ok(a.estimated_ready > DAY, "counted in working days after today");
  assert.equal(a.applicant.name, "钱*");

  // A second scan, the number typed by an admin, a later day: the same application.
  const again = assertOk(await checkin(b.booking_no, { headers: ADMIN, hhmm: "09:40" }), 200);
  assert.equal(again.application.application_no, a.application_no);
  assert.equal(assertOk(await checkin(b.booking_no.toLowerCase(), { hhmm: null })).application.application_no, a.application_no);

  // The booking shows it, and it can no longer be cancelled.
  assert.equal(assertOk(await api("GET", `/v1/bookings/${b.booking_no}`, { token: me.token })).status, "checked_in");
  assertError(await api("POST", `/v1/bookings/${b.booking_no}/cancel`, { token: me.token }), 409, "CONFLICT");
});

test("signed events move the application along its timeline to the issued passport", async () => {
  await publishOn("sz-futian", [{ period_id: "g-a", start: "09:00", end: "10:00", capacity: 10 }]);
  const me = await person("prog-timeline");
  const stranger = await person("prog-stranger");
  const b = await book(me);
  const app = assertOk(await checkin(b.booking_no, { body: { qr_payload: b.qr_payload } }), 201).application;
  const no = app.application_no;

  // Refused before anything moves: no or a wrong signature, another secret, a stale or future
  // timestamp, a tampered body. The window is 300 s; the exact edges are unit-tested in
  // shared/src/progress/webhook.rs, so here a minute's margin keeps a slow machine (a second
  // between writing the timestamp and the server reading its clock) from landing inside it.
  const now = Math.floor(Date.now() / 1000);
  for (const opts of [{ signature: "" }, { signature: "ab".repeat(32) }, { secret: "guess" }, { ts: now - 360 }, { ts: now + 360 }]) {
    assertError(await event(no, { status: "reviewing" }, opts), 401, "UNAUTHENTICATED");
  }
  const raw = JSON.stringify({ status: "reviewing" });
  const sig = createHmac("sha256", SECRET).update(`${now}.${raw}`).digest("hex");
  assertError(
    await api("POST", `/v1/ops/applications/${no}/events`, { raw: JSON.stringify({ status: "producing" }), headers: { "content-type": "application/json", "x-timestamp": String(now), "x-signature": sig } }),
    401,
    "UNAUTHENTICATED",
  );
  assertError(await api("POST", `/v1/ops/applications/${no}/events`, { raw, headers: { "content-type": "application/json" } }), 401, "UNAUTHENTICATED");

  // Moves the state machine does not allow, and bad bodies.
  assertError(await event(no, { status: "producing" }), 409, "CONFLICT");
  const bad = await event(no, { status: "finished" });
  assertError(bad, 400, "INVALID_ARGUMENT");
  assert.equal(bad.body.details.field, "status");
  assertError(await event("A20261125ZZZZZZZZ0", { status: "reviewing" }), 404, "NOT_FOUND");

  const r1 = assertOk(await event(no, { status: "reviewing" }, { hhmm: "11:00" }));
  assert.equal(r1.changed, true);
  assert.equal(r1.application.status, "reviewing");
  // The same event delivered twice changes nothing.
  const dup = assertOk(await event(no, { status: "reviewing" }, { hhmm: "11:01" }));
  assert.equal(dup.changed, false);
  assertOk(await event(no, { status: "producing", note: "制证中" }, { hhmm: "14:00" }));
  const mailed = await event(no, { status: "mailed" });
  assertError(mailed, 409, "CONFLICT");
  assert.deepEqual(mailed.body.details, { from: "producing", to: "mailed" }, "collected at the hall, never mailed");
  assertOk(await event(no, { status: "ready" }, { hhmm: "15:00" }));
  const done = assertOk(await event(no, { status: "collected", document_no: "E12345678" }, { hhmm: "16:30" }));
  assert.equal(done.document.number, "E1*****78");
  assertError(await event(no, { status: "rejected", note: "太晚了" }), 409, "CONFLICT");

  // What the applicant reads.
  const mine = assertOk(await api("GET", `/v1/applications/${no}`, { token: me.token }));
  assert.deepEqual(
    mine.timeline.map((e) => [e.status, e.at.slice(11, 16)]),
    [["accepted", "09:20"], ["reviewing", "11:00"], ["producing", "14:00"], ["ready", "15:00"], ["collected", "16:30"]],
  );
  assert.equal(mine.timeline[2].note, "制证中");
  assert.equal(mine.status, "collected");
  assert.equal(mine.estimated_ready, app.estimated_ready);
  const list = assertOk(await api("GET", `/v1/applications?applicant_id=${me.applicantId}`, { token: me.token })).applications;
  assert.deepEqual(list.map((x) => x.application_no), [no]);
  const { documents } = assertOk(await api("GET", "/v1/documents", { token: me.token }));
  assert.equal(documents.length, 1);
  const doc = documents[0];
  assert.deepEqual(
    [doc.type, doc.number, doc.issued_on, doc.valid_until, doc.long_term, doc.expired, doc.expiring_soon],
    ["passport", "E1*****78", DAY, tenYearsAfter(DAY), false, false, false],
  );

  // Nobody else's: 404 as if it did not exist.
  assertError(await api("GET", `/v1/applications/${no}`, { token: stranger.token }), 404, "NOT_FOUND");
  assertError(await api("GET", `/v1/applications?applicant_id=${me.applicantId}`, { token: stranger.token }), 404, "NOT_FOUND");
  assertError(await api("GET", `/v1/documents?applicant_id=${me.applicantId}`, { token: stranger.token }), 404, "NOT_FOUND");
  assert.deepEqual(assertOk(await api("GET", "/v1/applications", { token: stranger.token })).applications, []);
  assert.deepEqual(assertOk(await api("GET", "/v1/documents", { token: stranger.token })).documents, []);
  assertError(await api("GET", "/v1/applications/not-a-number", { token: me.token }), 404, "NOT_FOUND");
  assertError(await api("GET", "/v1/applications?applicant_id=x", { token: me.token }), 400, "INVALID_ARGUMENT");
  assertError(await api("GET", "/v1/applications"), 401, "UNAUTHENTICATED");
  assertError(await api("GET", "/v1/documents", { token: "garbage" }), 401, "UNAUTHENTICATED");
});

test("a rejection carries its reason; a mailed permit is issued when posted and flagged before it expires", async () => {
  await publishOn("sz-futian", [{ period_id: "g-a", start: "09:00", end: "10:00", capacity: 10 }]);
  const me = await person("prog-reject");
  const hk = await book(me, { service: "hk_macau_permit" });
  const tw = await book(me, { service: "taiwan_permit", pickup: { method: "mail", address: "深圳市福田区福中三路1号市民中心" } });

  const hkApp = assertOk(await checkin(hk.booking_no), 201).application.application_no;
  const noReason = await event(hkApp, { status: "rejected" });
  assertError(noReason, 400, "INVALID_ARGUMENT");
  assert.equal(noReason.body.details.field, "note");
  const rejected = assertOk(await event(hkApp, { status: "rejected", note: "材料不全：缺少户口簿，咨询 13812345678" }));
  assert.equal(rejected.application.status, "rejected");
  assert.equal(rejected.application.rejected_reason, "材料不全：缺少户口簿，咨询 138****5678");
  assert.equal(rejected.application.estimated_ready, null);
  assertError(await event(hkApp, { status: "reviewing" }), 409, "CONFLICT");

  const twApp = assertOk(await checkin(tw.booking_no), 201).application.application_no;
  for (const status of ["reviewing", "producing"]) assertOk(await event(twApp, { status }));
  assertError(await event(twApp, { status: "ready" }), 409, "CONFLICT");
  // The issuer states a short validity: it ends within six months, so it is flagged.
  const soon = shanghaiDate(90);
  const posted = assertOk(await event(twApp, { status: "mailed", valid_until: soon, document_no: "T87654321" }));
  assert.equal(posted.document.valid_until, soon);
  assertOk(await event(twApp, { status: "collected" }));

  const apps = assertOk(await api("GET", "/v1/applications", { token: me.token })).applications;
  assert.deepEqual(apps.map((a) => a.status).sort(), ["collected", "rejected"]);
  const docs = assertOk(await api("GET", "/v1/documents", { token: me.token })).documents;
  assert.equal(docs.length, 1, "issued once, when posted; nothing for the rejected application");
  assert.deepEqual([docs[0].type, docs[0].number, docs[0].expiring_soon], ["taiwan_permit", "T8*****21", true]);
});
