// What people read before they book: services and guides, halls, the slot page (statuses, the
// authority's remaining, and how stale a cached page may be), and the API description.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { api, assertError, assertOk, clientIp, idNumber, loginIdentified, OPS, publish, shanghaiDate, waitForLog } from "./helpers.mjs";

const SERVICES = ["passport", "hk_macau_permit", "taiwan_permit", "visa_extension", "visa_renewal", "visa_reissue", "residence_permit", "id_card"];
// Nobody else's tests publish schedules here.
const HALL = "hz-binjiang";
/** The promised bound: a freed place shows within a second. */
const VISIBLE_WITHIN_MS = 1000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let seq = 0;
async function person(tag) {
  seq += 1;
  const n = (process.pid % 500) * 100 + seq;
  const id = idNumber(`${1970 + (n % 30)}07${String(1 + (Math.floor(n / 30) % 28)).padStart(2, "0")}`, Math.floor(n / 840) % 1000, "330106");
  return loginIdentified(`${tag}-${process.pid}-${seq}`, id, "赵六");
}

let keySeq = 0;
function book(who, office, date, periodId) {
  return api("POST", "/v1/bookings", {
    token: who.token,
    headers: { "idempotency-key": `cat-${process.pid}-${Date.now()}-${++keySeq}` },
    body: {
      applicant_id: who.applicantId,
      service: "passport",
      office_id: office,
      date,
      period_id: periodId,
      phone: "13812345678",
      pickup: { method: "collect" },
      agree_terms: true,
    },
  });
}

async function page(office, query = "", headers = {}) {
  return assertOk(await api("GET", `/v1/offices/${office}/slots${query}`, { headers }));
}

const periodOf = (p, date, id) => p.days.find((d) => d.date === date).periods.find((x) => x.period_id === id);

test("every service of the contract is listed with its fee and has a guide", async () => {
  const { services } = assertOk(await api("GET", "/v1/services"));
  assert.deepEqual(services.map((s) => s.service_id).sort(), [...SERVICES].sort());
  const passport = services.find((s) => s.service_id === "passport");
  assert.equal(passport.fee_fen, 12000);
  assert.equal(passport.fee_yuan, "120.00");
  assert.equal(passport.processing_working_days, 7);
  assert.deepEqual(passport.pickup_methods, ["collect", "mail"]);
  for (const s of services) {
    assert.ok(Number.isInteger(s.fee_fen) && s.fee_fen >= 0, s.service_id);
    assert.ok(s.processing_working_days >= 1, s.service_id);
    const g = assertOk(await api("GET", `/v1/services/${s.service_id}/guide`));
    assert.equal(g.service_id, s.service_id);
    assert.equal(g.fee_fen, s.fee_fen);
    assert.ok(g.materials.length > 0 && g.procedure.length > 0, s.service_id);
    assert.ok(g.pickup_options.some((o) => o.method === "collect"), s.service_id);
    assert.equal(typeof g.photo_rules.spec, "string");
    assert.ok(Array.isArray(g.photo_receipt_required_at));
  }
  // Which halls want a photo receipt number is data on the hall, and only for ID cards.
  const idCard = assertOk(await api("GET", "/v1/services/id_card/guide"));
  const receiptHalls = idCard.photo_receipt_required_at.map((h) => h.office_id);
  assert.ok(receiptHalls.includes("sz-futian") && receiptHalls.includes("gz-tianhe"));
  assert.ok(!receiptHalls.includes("bj-dongcheng") && !receiptHalls.includes("sz-longgang"));
  assert.deepEqual(assertOk(await api("GET", "/v1/services/passport/guide")).photo_receipt_required_at, []);
  for (const bad of ["driving_licence", "PASSPORT", "%E6%8A%A4%E7%85%A7"]) {
    assertError(await api("GET", `/v1/services/${bad}/guide`), 404, "NOT_FOUND");
  }
  assertError(await api("POST", "/v1/services"), 405, "METHOD_NOT_ALLOWED");
});

test("halls by city and service, one hall in full, and bad filters", async () => {
  const ids = async (q) => assertOk(await api("GET", `/v1/offices${q}`)).offices.map((o) => o.office_id);
  const all = await ids("");
  assert.equal(all.length, 14);
  assert.deepEqual(await ids("?city=sz"), ["sz-futian", "sz-longgang", "sz-nanshan"]);
  assert.deepEqual(await ids("?city=sz&service=id_card"), ["sz-futian", "sz-nanshan"]);
  assert.deepEqual((await ids("?service=visa_extension")).length, 5);
  assert.deepEqual(await ids("?city=xa"), []);
  assertError(await api("GET", "/v1/offices?city=SZ"), 400, "INVALID_ARGUMENT");
  const bad = await api("GET", "/v1/offices?service=visa");
  assertError(bad, 400, "INVALID_ARGUMENT");
  assert.equal(bad.body.details.field, "service");

  const o = assertOk(await api("GET", "/v1/offices/sz-futian"));
  assert.equal(o.office_id, "sz-futian");
  assert.deepEqual(o.city, { city_id: "sz", name: o.city.name });
  assert.ok(o.name && o.district && o.address && o.opening_hours && o.phone);
  assert.equal(o.requires_photo_receipt, true);
  assert.deepEqual(o.photo_receipt_required_for, ["id_card"]);
  assert.equal(o.services.length, 8);
  assert.ok(o.services.every((s) => SERVICES.includes(s.service_id) && s.name));
  assert.equal(typeof o.location.lat, "number");
  assert.deepEqual(assertOk(await api("GET", "/v1/offices/bj-dongcheng")).photo_receipt_required_for, []);
  for (const bad of ["xx-nowhere", "SZ-FUTIAN", "a"]) {
    assertError(await api("GET", `/v1/offices/${bad}`), 404, "NOT_FOUND");
    assertError(await api("GET", `/v1/offices/${bad}/slots`), 404, "NOT_FOUND");
  }
});

test("the default slot page is the booking window, with the authority's numbers", async () => {
  const p = await page("sz-longgang");
  assert.equal(p.office_id, "sz-longgang");
  assert.equal(p.from, p.window.first);
  assert.equal(p.to, p.window.last);
  assert.equal(p.from, shanghaiDate(1));
  assert.ok([shanghaiDate(6), shanghaiDate(7)].includes(p.to));
  assert.equal(p.days.length, p.to === shanghaiDate(7) ? 7 : 6);
  assert.match(p.as_of, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/);
  assert.equal(p.clamped, false);
  for (const d of p.days) {
    assert.ok(d.weekday >= 1 && d.weekday <= 7);
    assert.ok(["available", "full", "closed"].includes(d.status));
    for (const x of d.periods) {
      assert.deepEqual(Object.keys(x).filter((k) => k !== "closed_reason").sort(), ["capacity", "end", "period_id", "remaining", "start", "status"]);
      assert.ok(x.remaining >= 0 && x.remaining <= x.capacity);
      assert.equal(x.status === "closed", x.remaining === 0 && "closed_reason" in x);
    }
  }
});

test("closed: today, not yet released, and holidays; the range is cut at 14 days", async () => {
  const today = shanghaiDate(0);
  const early = { "x-dev-now": `${today}T07:30:00+08:00` };
  const last = shanghaiDate(7);
  await publish(HALL, last, [{ period_id: "r-a", start: "09:00", end: "10:00", capacity: 4 }]);
  await publish(HALL, today, [{ period_id: "r-t", start: "16:00", end: "17:00", capacity: 4 }]);
  let p = await page(HALL, `?from=${today}&to=${last}`, early);
  assert.equal(p.days.length, 8);
  const t = periodOf(p, today, "r-t");
  assert.deepEqual([t.status, t.remaining, t.capacity, t.closed_reason], ["closed", 0, 4, "too_soon"]);
  const notYet = p.days.at(-1);
  assert.equal(notYet.status, "closed");
  assert.equal(notYet.release_at, `${today}T08:00:00+08:00`);
  assert.equal(periodOf(p, last, "r-a").closed_reason, "not_released");
  // At the release time the day opens.
  p = await page(HALL, `?from=${last}&to=${last}`, { "x-dev-now": `${today}T08:00:00+08:00` });
  assert.equal(periodOf(p, last, "r-a").status, "available");
  assert.equal(periodOf(p, last, "r-a").remaining, 4);

  // National Day 2026 from the seeded calendar, seen from Sep 29.
  const sep29 = { "x-dev-now": "2026-09-29T09:00:00+08:00" };
  for (const date of ["2026-09-30", "2026-10-01"]) {
    await publish(HALL, date, [{ period_id: "h-a", start: "09:00", end: "10:00", capacity: 3 }], sep29);
  }
  p = await page(HALL, "?from=2026-09-30&to=2026-10-01", sep29);
  assert.equal(periodOf(p, "2026-09-30", "h-a").status, "available");
  const holiday = p.days[1];
  assert.equal(holiday.holiday, true);
  assert.equal(holiday.status, "closed");
  assert.equal(holiday.periods[0].closed_reason, "holiday");

  p = await page(HALL, `?from=${today}&to=${shanghaiDate(40)}`);
  assert.equal(p.days.length, 14);
  assert.equal(p.clamped, true);
  assert.equal(p.to, shanghaiDate(13));
});

test("bad slot queries are 400 with the field; the service must be offered", async () => {
  const cases = [
    ["?from=2026-13-01", "from"],
    ["?to=tomorrow", "to"],
    [`?from=${shanghaiDate(3)}&to=${shanghaiDate(2)}`, "to"],
    ["?service=driving", "service"],
    ["?service=visa_extension", "service"],
  ];
  for (const [q, field] of cases) {
    const res = await api("GET", `/v1/offices/${HALL}/slots${q}`);
    assertError(res, 400, "INVALID_ARGUMENT");
    assert.equal(res.body.details.field, field, q);
  }
  const res = await api("GET", `/v1/offices/${HALL}/slots?service=visa_extension`);
  assert.equal(res.body.details.reason, "not_offered");
  assertOk(await api("GET", `/v1/offices/${HALL}/slots?service=id_card`));
  assertError(await api("POST", `/v1/offices/${HALL}/slots`, { body: {} }), 405, "METHOD_NOT_ALLOWED");
});

test("the slot page before and after a booking and a cancellation agrees with the authority", async () => {
  const date = shanghaiDate(3);
  await publish(HALL, date, [
    { period_id: "s-a", start: "09:00", end: "10:00", capacity: 2 },
    { period_id: "s-b", start: "10:00", end: "11:00", capacity: 1 },
  ]);
  const q = `?from=${date}&to=${date}&service=passport`;
  const authority = async () => assertOk(await api("GET", `/v1/ops/offices/${HALL}/days/${date}`, { headers: OPS })).periods;
  const until = async (pred) => {
    const start = Date.now();
    for (;;) {
      const p = await page(HALL, q);
      if (pred(p)) return { p, ms: Date.now() - start };
      assert.ok(Date.now() - start < 3000, `not seen within 3 s: ${JSON.stringify(p.days[0])}`);
      await sleep(20);
    }
  };

  let p = await page(HALL, q);
  assert.deepEqual(
    p.days[0].periods.map((x) => [x.period_id, x.capacity, x.remaining, x.status]),
    [["s-a", 2, 2, "available"], ["s-b", 1, 1, "available"]],
  );

  const me = await person("cat-slot");
  const booked = assertOk(await book(me, HALL, date, "s-b"), 201);
  const full = await until((x) => periodOf(x, date, "s-b").status === "full");
  assert.ok(full.ms <= VISIBLE_WITHIN_MS, `full after ${full.ms} ms`);
  assert.equal(periodOf(full.p, date, "s-b").remaining, 0);
  assert.equal(full.p.days[0].status, "available", "s-a still has places");
  // Never more remaining than the authority holds.
  for (const a of await authority()) assert.equal(periodOf(await page(HALL, q), date, a.period_id).remaining, a.remaining);
  assertError(await book(await person("cat-slot-late"), HALL, date, "s-b"), 409, "SLOT_FULL");

  assertOk(await api("POST", `/v1/bookings/${booked.booking_no}/cancel`, { token: me.token }));
  const freed = await until((x) => periodOf(x, date, "s-b").status === "available");
  assert.ok(freed.ms <= VISIBLE_WITHIN_MS, `available again after ${freed.ms} ms`);
  assert.equal(periodOf(freed.p, date, "s-b").remaining, 1);
  for (const a of await authority()) assert.equal(periodOf(await page(HALL, q), date, a.period_id).remaining, a.remaining);
});

test("under concurrent refreshes the page is cached, and a cancellation still shows within a second", async () => {
  const date = shanghaiDate(4);
  await publish(HALL, date, [{ period_id: "w-a", start: "09:00", end: "10:00", capacity: 1 }]);
  const me = await person("cat-wave");
  const booked = assertOk(await book(me, HALL, date, "w-a"), 201);
  const path = `/v1/offices/${HALL}/slots?from=${date}&to=${date}`;

  // Eight clients refresh in a loop, as a booking wave does, while the place is cancelled.
  const seen = [];
  let stop = false;
  const client = async () => {
    while (!stop) {
      const res = await api("GET", path);
      const p = assertOk(res);
      seen.push({ at: Date.now(), asOf: p.as_of, remaining: p.days[0].periods[0].remaining });
    }
  };
  const clients = Array.from({ length: 8 }, client);
  await sleep(600);
  const before = Date.now();
  assertOk(await api("POST", `/v1/bookings/${booked.booking_no}/cancel`, { token: me.token }));
  const cancelled = Date.now();
  await sleep(1600);
  stop = true;
  await Promise.all(clients);

  assert.ok(seen.length > 40, `only ${seen.length} responses`);
  // Served from the cache: many responses share one read of the authority.
  const reads = new Set(seen.map((s) => s.asOf));
  assert.ok(reads.size < seen.length / 2, `${reads.size} reads for ${seen.length} responses`);
  assert.ok(seen.filter((s) => s.at < before).every((s) => s.remaining === 0));
  const late = seen.filter((s) => s.at > cancelled + VISIBLE_WITHIN_MS);
  assert.ok(late.length > 0);
  assert.ok(late.every((s) => s.remaining === 1), "a page older than the bound was served");
  const first = seen.find((s) => s.at > before && s.remaining === 1);
  assert.ok(first && first.at - cancelled <= VISIBLE_WITHIN_MS, `freed place first seen ${first && first.at - cancelled} ms after the cancel`);
});

test("openapi.json is the YAML, and every path and method it lists is routed", async () => {
  const spec = assertOk(await api("GET", "/v1/openapi.json"));
  assert.equal(spec.openapi, "3.1.0");
  const expected = {
    "/v1/services": "get",
    "/v1/services/{service}/guide": "get",
    "/v1/offices": "get",
    "/v1/offices/{office_id}": "get",
    "/v1/offices/{office_id}/slots": "get",
    "/v1/openapi.json": "get",
    "/v1/terms": "get",
    "/v1/applications": "get",
    "/v1/applications/{application_no}": "get",
    "/v1/documents": "get",
    "/v1/ops/bookings/{booking_no}/checkin": "post",
    "/v1/ops/applications/{application_no}/events": "post",
    "/v1/applicants": "post",
    "/v1/applicants/{applicant_id}": "delete",
    "/v1/applicants/invitations/{code}/accept": "post",
    "/v1/me/helpers": "get",
    "/v1/me/helpers/{user_id}": "delete",
    "/v1/me/audit": "get",
    "/v1/bookings/admission": "post",
    "/v1/ops/metrics": "get",
    "/v1/ops/dashboard": "get",
    "/v1/ops/offices/{office_id}/days/{date}/close": "post",
    "/v1/ops/offices/{office_id}/days/{date}/admission": "put",
    "/v1/bookings": "post",
    "/v1/bookings/{booking_no}": "get",
    "/v1/bookings/{booking_no}/cancel": "post",
    "/v1/ops/offices/{office_id}": "put",
    "/v1/ops/schedules": "post",
    "/v1/ops/offices/{office_id}/days/{date}": "get",
    "/v1/ops/reconcile": "post",
    "/v1/ops/sweeps/no-shows": "post",
    "/v1/ops/jobs/{job}": "post",
    "/v1/health": "get",
    "/v1/health/login": "get",
    "/v1/health/catalog": "get",
    "/v1/health/helper": "get",
    "/v1/health/book": "get",
    "/v1/health/waitlist": "get",
    "/v1/health/cancel": "get",
    "/v1/health/progress": "get",
    "/v1/health/ops": "get",
    "/v1/health/events": "get",
    "/v1/health/notify": "get",
  };
  for (const [path, method] of Object.entries(expected)) assert.ok(spec.paths[path]?.[method], `${method} ${path}`);
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of Object.keys(item).filter((m) => ["get", "post", "put", "delete", "patch"].includes(m))) {
      const rid = `spec-${method}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
      const concrete = path.replace(/\{[^}]+\}/g, "x0000000000");
      const res = await api(method.toUpperCase(), concrete, { headers: { "x-request-id": rid, "cf-connecting-ip": clientIp() } });
      assert.notEqual(res.status, 405, `${method} ${path}`);
      const line = await waitForLog((l) => l.request_id === rid && l.route !== undefined);
      assert.ok(line, `${method} ${path} was not logged`);
      assert.ok(!line.route.startsWith("("), `${method} ${path} has no route (${line.route})`);
    }
  }
});

test("the booking terms are written from the rules in force, in the caller's language, without a login", async () => {
  const zh = assertOk(await api("GET", "/v1/terms"));
  assert.equal(zh.title, "预约须知");
  assert.deepEqual(zh.items.map((i) => i.id), ["window", "one_active", "cancellation", "no_show", "arrive", "privacy"]);
  // The numbers are the seeded rules' (shared/data/rules-default.json), not a copy in the text.
  const rules = JSON.parse(readFileSync(new URL("../shared/data/rules-default.json", import.meta.url)));
  const text = Object.fromEntries(zh.items.map((i) => [i.id, i.text]));
  assert.ok(text.window.includes(`${rules.booking.days_ahead}天`) && text.window.includes(rules.booking.release_time), text.window);
  assert.ok(text.cancellation.includes(`${rules.cancellation.cutoff_minutes_before_start}分钟`), text.cancellation);
  assert.ok(text.cancellation.includes(`最多取消${rules.cancellation.max_in_window}次`), text.cancellation);
  assert.ok(text.no_show.includes(`暂停预约${rules.no_show.ban_days}天`), text.no_show);
  assert.equal(zh.rules_version, rules.version);
  const en = assertOk(await api("GET", "/v1/terms", { headers: { "accept-language": "en" } }));
  assert.equal(en.title, "Booking terms");
  assert.ok(en.items.every((i) => !/[\u4e00-\u9fff]/.test(i.text) && !i.text.includes("{")), JSON.stringify(en.items));
});
