// The WeChat mini-program's API module (miniprogram-stub/utils/api.js over core/api.js) driven through whole journeys
// against the local stack: `wx.request` is real HTTP, storage an in-memory map, `wx.login` gives
// codes the WeChat fake accepts. Ops (check-in, the processing system's events) use plain HTTP.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
import { api, assertOk, BASE, clientIp, FAKES, idNumber, OPS, records, shanghaiDate, until } from "./helpers.mjs";

const require = createRequire(import.meta.url);
const { createClient } = require("../miniprogram-stub/utils/api.js");
const qr = require("../miniprogram-stub/core/qr.js");
const { decodeModules } = require("../miniprogram-stub/tests/qr-decode.js");

const CJK = /[\u4e00-\u9fff]/;

/** YYYYMMDD of the first of January `years` years ago. */
const bornAgo = (years) => `${Number(shanghaiDate(0).slice(0, 4)) - years}0101`;

// A hall and days no other test file publishes (publishing replaces the day's periods): of
// those, the first that is not a public holiday, where the slot page shows periods as open.
const HALL = "sh-minhang";
const DAY = await (async () => {
  const candidates = [3, 2, 4, 6].map(shanghaiDate);
  const page = assertOk(await api("GET", `/v1/offices/${HALL}/slots?from=${shanghaiDate(2)}&to=${shanghaiDate(6)}`));
  return candidates.find((d) => page.days.some((day) => day.date === d && !day.holiday)) ?? candidates[0];
})();
const PERIOD = `mp-${process.pid}`;
const at = (hhmm) => ({ "x-dev-now": `${DAY}T${hhmm}:00+08:00` });
const SEQ = process.pid % 1000;

/**
 * A phone: the `wx` the module needs. `loseAnswers` makes the next answers vanish after the
 * server handled the request, as a dropped connection does; `requests` records what was sent.
 * `requestSubscribeMessage` answers as the user would (`declines` says no to everything) and,
 * when they accept, tells the WeChat fake, as the dialog tells WeChat's servers; each call is in
 * `subscriptions` with the number of requests sent before it.
 */
function phone(name) {
  const storage = new Map();
  const ip = clientIp(); // logins are limited per client address
  let logins = 0;
  const wx = {
    storage,
    openid: `wx-${name}-${process.pid}`,
    requests: [],
    subscriptions: [],
    declines: false,
    loseAnswers: 0,
    requestSubscribeMessage({ tmplIds, success, fail }) {
      wx.subscriptions.push({ tmplIds, requestsBefore: wx.requests.length });
      const verdict = wx.declines ? "reject" : "accept";
      const told = wx.declines
        ? Promise.resolve()
        : fetch(`${FAKES}/__fakes/wechat/subscriptions`, {
            method: "POST",
            body: JSON.stringify({ openid: wx.openid, template_ids: tmplIds }),
          }).then((r) => assert.equal(r.status, 200));
      told.then(
        () => success({ errMsg: "requestSubscribeMessage:ok", ...Object.fromEntries(tmplIds.map((id) => [id, verdict])) }),
        (e) => fail({ errMsg: `requestSubscribeMessage:fail ${e.message}` }),
      );
    },
    getStorageSync: (k) => (storage.has(k) ? structuredClone(storage.get(k)) : ""),
    setStorageSync: (k, v) => storage.set(k, structuredClone(v)),
    removeStorageSync: (k) => storage.delete(k),
    login: ({ success }) => success({ code: `dev-${name}-${process.pid}~${Date.now()}-${++logins}`, errMsg: "login:ok" }),
    request({ url, method = "GET", data, header = {}, success, fail }) {
      // As WeChat does: JSON unless told otherwise, the body serialized, the answer parsed.
      const headers = { "content-type": "application/json", "cf-connecting-ip": ip, ...header };
      wx.requests.push({ method, path: new URL(url).pathname, headers });
      fetch(url, { method, headers, body: data === undefined ? undefined : JSON.stringify(data) })
        .then(async (res) => {
          const text = await res.text();
          if (wx.loseAnswers > 0) {
            wx.loseAnswers -= 1;
            return fail({ errMsg: "request:fail socket closed" });
          }
          let body = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* left as text, as wx.request does */
          }
          return success({ statusCode: res.status, data: body, header: Object.fromEntries(res.headers) });
        })
        .catch((err) => fail({ errMsg: `request:fail ${err.message}` }));
    },
  };
  return wx;
}

function client(wx) {
  return createClient({ wx, baseUrl: BASE, devUser: null, devVerifyToken: "dev-ok" });
}

/**
 * Every booking submit the phone sent went out right after a subscription dialog of its own,
 * but a retry of a lost answer (the same Idempotency-Key), which is the same submit.
 */
function askedBeforeEverySubmit(wx, submits) {
  const isSubmit = (r) => r.method === "POST" && r.path === "/v1/bookings";
  assert.equal(wx.subscriptions.length, submits, "one dialog per submit");
  const asked = new Set(wx.subscriptions.map((s) => s.requestsBefore));
  let previousKey = null;
  wx.requests.forEach((r, i) => {
    if (!isSubmit(r)) return;
    const key = r.headers["Idempotency-Key"];
    assert.ok(asked.has(i) || key === previousKey, `submit ${i} went out without a dialog`);
    previousKey = key;
  });
  for (const s of wx.subscriptions) {
    assert.deepEqual(s.tmplIds, ["dev-tmpl-confirmed", "dev-tmpl-reminder", "dev-tmpl-cancelled"]);
    assert.ok(isSubmit(wx.requests[s.requestsBefore]), "the dialog came right before a submit");
  }
}

/** The client's error, which must carry a Chinese message from the envelope. */
async function refused(promise, code) {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e) => e,
  );
  assert.equal(err.code, code, err.message);
  assert.match(err.message, CJK);
  assert.match(err.requestId, /^[A-Za-z0-9_-]{8,64}$/);
  return err;
}

/** Signs a processing-system event as the contract says and sends it at `hhmm` (by `clock`, DAY's by default). */
function event(applicationNo, payload, hhmm, clock = at) {
  const raw = JSON.stringify(payload);
  const ts = Math.floor(Date.now() / 1000);
  const sig = createHmac("sha256", "dev-webhook-secret").update(`${ts}.${raw}`).digest("hex");
  return api("POST", `/v1/ops/applications/${applicationNo}/events`, {
    raw,
    headers: { "content-type": "application/json", "x-timestamp": String(ts), "x-signature": sig, ...clock(hhmm) },
  });
}

/**
 * Waits until the slot picker shows our period with `remaining` places (the slot page is cached
 * for up to 750 ms), or closed when every candidate day was a holiday.
 */
async function showsRemaining(c, remaining) {
  await eventually(async () => {
    const day = (await c.slots(HALL, { service: "passport" })).days.find((d) => d.date === DAY);
    const p = day?.periods.find((x) => x.period_id === PERIOD);
    if (day?.holiday) return p?.status === "closed" && p.closed_reason === "holiday";
    return p?.status === "available" && p.remaining === remaining;
  }, `${remaining} places left on the slot page`);
}

async function eventually(check, what) {
  const deadline = Date.now() + 3000;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`not within 3 s: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("a parent signs in, binds, adds a child, books, cancels, books again, is checked in, and follows it to ready", async () => {
  const wx = phone("journey-mum");
  const mum = client(wx);

  // Sign in: the session is kept in storage.
  const fresh = await mum.login();
  assert.equal(fresh.identity_bound, false);
  assert.equal(mum.isSignedIn(), true);
  assert.match(wx.storage.get("yuyue.tokens").refresh_token, /^yrt_/);
  await refused(mum.helpers(), "IDENTITY_REQUIRED");

  // Real-name binding through the face-verification fake.
  const mumId = idNumber("19860315", SEQ, "310112");
  const verifyToken = await mum.faceVerify({ name: "韩梅梅", idNumber: mumId });
  const me = await mum.bindIdentity({ name: "韩梅梅", idNumber: mumId, verifyToken });
  assert.equal(me.identity_bound, true);
  assert.equal(me.identity.name, "韩**");
  assert.equal(mum.currentUser().identity.applicant_id, me.identity.applicant_id);

  // The refresh token is traded for a new pair, which then works.
  const before = wx.storage.get("yuyue.tokens");
  await mum.refresh();
  const after = wx.storage.get("yuyue.tokens");
  assert.notEqual(after.access_token, before.access_token);
  assert.notEqual(after.refresh_token, before.refresh_token);
  assert.equal((await mum.me()).user_id, fresh.user_id);

  // What the home, hall list and hall pages read.
  assert.ok((await mum.services()).some((s) => s.service_id === "passport"));
  assert.ok((await mum.offices({ city: "sh", service: "passport" })).some((o) => o.office_id === HALL));
  assert.ok((await mum.office(HALL)).services.some((s) => s.service_id === "passport"));

  // The hall publishes the journey's own period.
  assertOk(
    await api("POST", "/v1/ops/schedules", {
      headers: OPS,
      body: { office_id: HALL, date: DAY, periods: [{ period_id: PERIOD, start: "09:00", end: "10:00", capacity: 5 }] },
    }),
  );
  await showsRemaining(mum, 5);

  // A child under 16 is added at once.
  const kidId = idNumber(bornAgo(7), SEQ, "310112");
  const added = await mum.addApplicant({ name: "韩小梅", id_number: kidId, relation: "child" });
  assert.equal(added.applicant.status, "active");
  assert.equal(added.invitation, null);
  const people = await mum.applicants();
  assert.deepEqual(people.map((a) => [a.is_self, a.status]), [[true, "active"], [false, "active"]]);
  const kid = people[1].applicant_id;

  // Booking for the child; the first answer is lost and the module's retry reuses the key, so
  // exactly one booking is made.
  const form = {
    applicant_id: kid,
    service: "passport",
    office_id: HALL,
    date: DAY,
    period_id: PERIOD,
    phone: "13812345678",
    pickup: { method: "collect" },
    agree_terms: true,
  };
  wx.loseAnswers = 1;
  const first = await mum.createBooking(form);
  const keys = wx.requests.filter((r) => r.path === "/v1/bookings" && r.method === "POST").map((r) => r.headers["Idempotency-Key"]);
  assert.equal(keys.length, 2);
  assert.equal(keys[1], keys[0]);
  assert.equal(first.status, "booked");
  assert.equal(first.applicant.applicant_id, kid);
  assert.equal(first.phone, "138****5678");
  // She allowed the booking's messages in the dialog before the submit: the confirmation arrives.
  const told = (m) => m.touser === wx.openid && m.data?.character_string4?.value === first.booking_no;
  assert.ok((await until("subscribe_messages", (all) => all.some(told))).some(told), "the confirmation arrives");
  const listed = await mum.bookings();
  assert.deepEqual(listed.filter((b) => b.status === "booked").map((b) => b.booking_no), [first.booking_no]);
  await showsRemaining(mum, 4);

  // A second submit of the same form is a new submit: one active booking per person and service.
  await refused(mum.createBooking(form), "ALREADY_BOOKED");

  // The booking and its QR code, which scans back to the payload.
  const shown = await mum.booking(first.booking_no);
  assert.match(shown.qr_payload, /^YY1\./);
  assert.equal(shown.qr_payload, first.qr_payload);
  assert.equal(decodeModules(qr.encode(shown.qr_payload).modules), shown.qr_payload);

  // Cancelled: no QR any more, the place is free again.
  assert.equal((await mum.cancelBooking(first.booking_no, "行程有变")).status, "cancelled");
  const cancelled = await mum.booking(first.booking_no);
  assert.equal(cancelled.status, "cancelled");
  assert.equal(cancelled.qr_payload, null);
  await showsRemaining(mum, 5);

  // Booked again, checked in at the hall with its QR code on the day.
  const second = await mum.createBooking(form);
  assert.notEqual(second.booking_no, first.booking_no);
  askedBeforeEverySubmit(wx, 3);
  const checkin = await api("POST", `/v1/ops/bookings/${second.booking_no}/checkin`, {
    headers: { ...OPS, ...at("09:20") },
    body: { qr_payload: second.qr_payload },
  });
  const application = assertOk(checkin, 201).application;
  assert.equal((await mum.booking(second.booking_no)).status, "checked_in");

  // The progress page: the application, then each event as the processing system sends it.
  const mine = await mum.applications();
  assert.deepEqual(mine.map((a) => [a.application_no, a.status]), [[application.application_no, "accepted"]]);
  assert.equal(mine[0].applicant.applicant_id, kid);
  const seen = ["accepted"];
  for (const [status, hhmm] of [["reviewing", "11:00"], ["producing", "14:00"], ["ready", "16:00"]]) {
    assertOk(await event(application.application_no, { status }, hhmm));
    const now = await mum.application(application.application_no);
    seen.push(status);
    assert.equal(now.status, status);
    assert.deepEqual(now.timeline.map((e) => e.status), seen);
    assert.equal(now.timeline.at(-1).at, `${DAY}T${hhmm}:00+08:00`);
  }
  assert.deepEqual(await mum.documents(), [], "nothing is issued before it is collected");
});

test("an adult is invited, accepts on their own phone, sees what was done for them, and revokes", async () => {
  const son = client(phone("journey-son"));
  await son.login();
  const sonId = idNumber("19800620", SEQ, "310112");
  const sonUser = await son.bindIdentity({ name: "孙大伟", idNumber: sonId, verifyToken: await son.faceVerify({ name: "孙大伟", idNumber: sonId }) });

  const mumId = idNumber("19500101", SEQ, "310112");
  const invited = await son.addApplicant({ name: "孙秀英", id_number: mumId, relation: "parent" });
  assert.equal(invited.applicant.status, "pending");
  assert.match(invited.invitation.code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=U]{5}$/);
  const mumApplicant = invited.applicant.applicant_id;
  await refused(son.bookings(mumApplicant), "NOT_FOUND");

  // Mum signs up on her own phone and accepts with the code.
  const mum = client(phone("journey-grandma"));
  await mum.login();
  const bound = await mum.bindIdentity({ name: "孙秀英", idNumber: mumId, verifyToken: "dev-ok" });
  assert.equal(bound.identity.applicant_id, mumApplicant, "her identity is the record her son made");
  await refused(mum.acceptInvitation("ZZZZ-ZZZZ-ZZZZZ"), "NOT_FOUND");
  const helper = await mum.acceptInvitation(invited.invitation.code.toLowerCase());
  assert.deepEqual([helper.user_id, helper.status], [sonUser.user_id, "active"]);
  assert.deepEqual((await mum.helpers()).map((h) => [h.user_id, h.status]), [[sonUser.user_id, "active"]]);
  assert.equal((await son.applicants()).find((a) => a.applicant_id === mumApplicant).status, "active");

  // The son looks at her bookings; her audit list shows who did what.
  assert.deepEqual(await son.bookings(mumApplicant), []);
  const audit = await mum.audit(50);
  const bySon = audit.filter((e) => e.actor.kind === "helper" && e.actor.user_id === sonUser.user_id).map((e) => e.action);
  assert.ok(bySon.includes("helper.invited") && bySon.includes("bookings.view"), bySon.join(","));
  assert.ok(audit.every((e) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(e.at)));

  // She revokes him: from his next request on he may not act for her.
  await mum.revokeHelper(sonUser.user_id);
  assert.deepEqual(await mum.helpers(), []);
  await refused(son.bookings(mumApplicant), "NOT_FOUND");
  assert.ok((await mum.audit(50)).some((e) => e.action === "helper.revoked" && e.actor.kind === "self"));

  assert.ok(!(await son.applicants()).some((a) => a.applicant_id === mumApplicant && a.status === "active"));

  // An invitation not yet accepted can be withdrawn.
  const sisterId = idNumber("19830909", SEQ, "310112");
  const sister = (await son.addApplicant({ name: "孙小红", id_number: sisterId, relation: "sibling" })).applicant;
  assert.equal(sister.status, "pending");
  await son.removeApplicant(sister.applicant_id);
  assert.ok(!(await son.applicants()).some((a) => a.applicant_id === sister.applicant_id));
});

test("a foreigner on an English phone binds a passport, reads English, books a visa extension, cancels, rebooks and is checked in", async () => {
  // A hall with the visa services, on a day that is not a public holiday. Other files book
  // there too, so the journey's period is added after the day's own, not in their place.
  const FOREIGN_HALL = "sh-pudong";
  const page = assertOk(await api("GET", `/v1/offices/${FOREIGN_HALL}/slots?from=${shanghaiDate(3)}&to=${shanghaiDate(6)}`));
  const FDAY = [3, 6].map(shanghaiDate).find((d) => page.days.some((day) => day.date === d && !day.holiday)) ?? shanghaiDate(3);
  const published = assertOk(await api("GET", `/v1/ops/offices/${FOREIGN_HALL}/days/${FDAY}`, { headers: OPS })).periods;
  const theirs = published.map(({ period_id, start, end, capacity }) => ({ period_id, start, end, capacity }));
  const atF = (hhmm) => ({ "x-dev-now": `${FDAY}T${hhmm}:00+08:00` });
  const period = `mpf-${process.pid}`;
  const wx = phone("journey-foreigner");
  wx.getSystemInfoSync = () => ({ language: "en", platform: "ios" });
  // He says no to every message in the dialog: WeChat delivers him nothing.
  wx.declines = true;
  const me = client(wx);
  const englishRefusal = async (promise, code) => {
    const err = await promise.then(
      () => assert.fail(`expected ${code}`),
      (e) => e,
    );
    assert.equal(err.code, code, err.message);
    assert.doesNotMatch(err.message, CJK, err.message);
    return err;
  };

  await me.login();
  assert.ok(wx.requests.every((r) => r.headers["Accept-Language"] === "en"), "every request asks for English");
  await englishRefusal(me.helpers(), "IDENTITY_REQUIRED");
  const number = `P${String(process.pid).padStart(7, "0")}1`;
  const bad = await englishRefusal(
    me.bindIdentity({ name: "GARCIA LUIS", passport: { number, nationality: "ZZZ" }, verifyToken: "dev-ok" }),
    "INVALID_ARGUMENT",
  );
  assert.equal(bad.details.field, "passport.nationality");
  const bound = await me.bindIdentity({ name: "Garcia Luis", passport: { number, nationality: "ESP" }, verifyToken: "dev-ok" });
  assert.equal(bound.identity.name, "G***** L***");
  assert.equal(bound.identity.document.type, "foreign_passport");
  const own = bound.identity.applicant_id;

  const services = await me.services();
  const visa = services.find((s) => s.service_id === "visa_extension");
  assert.doesNotMatch(visa.name, CJK);
  assert.equal(visa.for_foreigners, true);
  const guide = await me.guide("visa_extension");
  assert.doesNotMatch(JSON.stringify(guide.materials) + JSON.stringify(guide.procedure), CJK);

  assertOk(
    await api("POST", "/v1/ops/schedules", {
      headers: OPS,
      body: { office_id: FOREIGN_HALL, date: FDAY, periods: [...theirs, { period_id: period, start: "17:00", end: "17:30", capacity: 3 }] },
    }),
  );
  const form = {
    applicant_id: own,
    service: "visa_extension",
    office_id: FOREIGN_HALL,
    date: FDAY,
    period_id: period,
    phone: "13912345678",
    pickup: { method: "collect" },
    agree_terms: true,
  };
  const refusedDoc = await englishRefusal(me.createBooking({ ...form, service: "passport" }), "INVALID_ARGUMENT");
  assert.equal(refusedDoc.details.reason, "document_not_accepted");
  const first = await me.createBooking(form);
  assert.equal(first.status, "booked");
  assert.equal((await me.cancelBooking(first.booking_no)).status, "cancelled");
  const second = await me.createBooking(form);
  assert.notEqual(second.booking_no, first.booking_no);
  askedBeforeEverySubmit(wx, 3);
  // The confirmations and the cancellation were sent, and WeChat refused each for want of a
  // subscription (43101); none was delivered.
  const mine = (m) => m.touser === wx.openid;
  const rejected = (await until("subscribe_rejected", (all) => all.filter(mine).length >= 3)).filter(mine);
  assert.deepEqual(rejected.map((m) => [m.template_id, m.errcode]).sort(), [
    ["dev-tmpl-cancelled", 43101],
    ["dev-tmpl-confirmed", 43101],
    ["dev-tmpl-confirmed", 43101],
  ]);
  assert.deepEqual((await records("subscribe_messages")).filter(mine), []);

  const checkin = await api("POST", `/v1/ops/bookings/${second.booking_no}/checkin`, {
    headers: { ...OPS, ...atF("17:05") },
    body: { qr_payload: second.qr_payload },
  });
  const application = assertOk(checkin, 201).application;
  assertOk(await event(application.application_no, { status: "reviewing" }, "18:00", atF));
  const now = await me.application(application.application_no);
  assert.deepEqual(now.timeline.map((e) => e.status), ["accepted", "reviewing"]);
});
