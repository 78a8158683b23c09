// The Alipay mini-program (miniprogram-stub/alipay) driven against the local stack: its pages
// (the core's page logic through alipay/utils/page.js's Page()) and its API client, over a `my`
// that does real HTTP the way my.request does (a form body unless told JSON, an HTTP error as a
// failure with error 19 and the answer beside it), storage in a map, my.getAuthCode giving codes
// the Alipay fake accepts, and my.requestSubscribeMessage telling the fake what the user accepted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { api, assertOk, BASE, clientIp, FAKES, idNumber, OPS, records, shanghaiDate, until } from "./helpers.mjs";

const require = createRequire(import.meta.url);
const ROOT = "../miniprogram-stub/alipay";

const CJK = /[\u4e00-\u9fff]/;
const SEQ = (process.pid + 500) % 1000;
const TAG = `alij-${process.pid}`;

// The WeChat journey publishes sh-minhang on days 2–4 or 6; this one takes a day it never does,
// the first that is not a public holiday (none, and the journeys are skipped, saying so).
const HALL = "sh-minhang";
const DAY = await (async () => {
  const candidates = [5, 1].map(shanghaiDate);
  const page = assertOk(await api("GET", `/v1/offices/${HALL}/slots?from=${shanghaiDate(1)}&to=${shanghaiDate(5)}`));
  return candidates.find((d) => page.days.some((day) => day.date === d && !day.holiday)) ?? null;
})();
const HOLIDAYS = DAY === null ? `days 5 and 1 at ${HALL} are both public holidays` : false;
const PERIOD = `ali-${process.pid}`;

/**
 * A phone with Alipay: `declines` says no in the subscription dialog; `subscriptions` holds each
 * dialog with the number of requests sent before it; `navigations` and `confirms` what the pages
 * asked for.
 */
function phone(name, { language = "zh-Hans" } = {}) {
  const storage = new Map();
  const ip = clientIp();
  let codes = 0;
  const my = {
    userId: `ali-${name}`,
    storage,
    requests: [],
    subscriptions: [],
    navigations: [],
    confirms: [],
    declines: false,
    language,
    getStorageSync: ({ key }) => ({ data: storage.has(key) ? structuredClone(storage.get(key)) : null }),
    setStorageSync: ({ key, data }) => storage.set(key, structuredClone(data)),
    removeStorageSync: ({ key }) => storage.delete(key),
    getSystemInfoSync: () => ({ language: my.language, platform: "iOS" }),
    // The number the user lets Alipay share (getAuthorize, then my.getPhoneNumber): sealed as
    // Alipay seals it, by the fake; null: the user declines.
    mobile: null,
    getPhoneNumber({ success, fail }) {
      if (!my.mobile) return setTimeout(() => fail({ error: 11, errorMessage: "user denied" }), 0);
      fetch(`${FAKES}/__fakes/alipay/phone`, { method: "POST", body: JSON.stringify({ mobile: my.mobile }) })
        .then((r) => r.json())
        .then(({ response }) => success({ response }), fail);
    },
    getAuthCode({ scopes, success }) {
      assert.equal(scopes, "auth_base");
      setTimeout(() => success({ authCode: `${Date.now()}-${++codes}` }), 0);
    },
    requestSubscribeMessage({ entityIds, success, fail }) {
      my.subscriptions.push({ entityIds, requestsBefore: my.requests.length });
      const told = my.declines
        ? Promise.resolve()
        : fetch(`${FAKES}/__fakes/alipay/subscriptions`, {
            method: "POST",
            body: JSON.stringify({ user_id: my.userId, template_ids: entityIds }),
          }).then((r) => assert.equal(r.status, 200));
      const verdict = my.declines ? "reject" : "accept";
      told.then(
        () => success({ behavior: "subscribe", keep: false, ...Object.fromEntries(entityIds.map((id) => [id, verdict])) }),
        () => fail({ error: 3, errorMessage: "unknown" }),
      );
    },
    request({ url, method = "GET", headers = {}, data, dataType, success, fail }) {
      // As my.request: the content-type is form-urlencoded unless the caller says otherwise, and
      // the body is serialized by it; a GET's data goes in the query.
      const type = Object.entries(headers).find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? "application/x-www-form-urlencoded";
      const target = new URL(url);
      let body;
      if (method === "GET" && data) for (const [k, v] of Object.entries(data)) target.searchParams.set(k, v);
      else if (data !== undefined) body = typeof data === "string" ? data : type.includes("json") ? JSON.stringify(data) : new URLSearchParams(data).toString();
      const sent = { ...headers, "content-type": type, "cf-connecting-ip": ip };
      my.requests.push({ method, path: target.pathname, headers: sent });
      fetch(target, { method, headers: sent, body })
        .then(async (res) => {
          const text = await res.text();
          let parsed = text;
          if (dataType === "json") {
            try {
              parsed = JSON.parse(text);
            } catch {
              return fail({ error: 14, errorMessage: "JSON parse error" });
            }
          }
          const answer = { status: res.status, data: parsed, headers: Object.fromEntries(res.headers) };
          if (res.status >= 200 && res.status < 300) return success(answer);
          return fail({ error: 19, errorMessage: "http status error", ...answer });
        })
        .catch((err) => fail({ error: 12, errorMessage: err.message }));
    },
    navigateTo: ({ url }) => my.navigations.push(["navigateTo", url]),
    redirectTo: ({ url }) => my.navigations.push(["redirectTo", url]),
    reLaunch: ({ url }) => my.navigations.push(["reLaunch", url]),
    navigateBack: () => my.navigations.push(["navigateBack"]),
    stopPullDownRefresh: () => {},
    confirm(opts) {
      my.confirms.push(opts);
      setTimeout(() => opts.success({ confirm: true }), 0);
    },
  };
  return my;
}

// The app's own instance (alipay/utils/api.js) is made from config.js when the first page loads:
// pointed at this suite's stack and at this run's user, as a developer would edit config.js.
const config = require(`${ROOT}/config.js`);
config.baseUrl = BASE;
config.devUser = TAG;
const theirPhone = phone(TAG);
globalThis.my = theirPhone;

/** Loads an Alipay page as the runtime would: its Page() options, an instance, onLoad(query). */
async function open(name, query = {}) {
  let options;
  globalThis.Page = (o) => {
    options = o;
  };
  const file = require.resolve(`${ROOT}/pages/${name}/${name}.js`);
  delete require.cache[file];
  require(file);
  const page = Object.assign(Object.create(null), options, { data: structuredClone(options.data) });
  page.setData = (patch) => Object.assign(page.data, structuredClone(patch));
  await page.onLoad(query);
  return page;
}

const lastNavigation = () => theirPhone.navigations.at(-1);
const queryOf = (url) => Object.fromEntries(new URL(url, "https://x").searchParams);
const messagesTo = (userId) => async () => (await records("alipay_messages")).filter((m) => m.to_user_id === userId);

test("on Alipay: sign in, bind, book through the pages after the subscription dialog, get the message, cancel, get told", { skip: HOLIDAYS }, async () => {
  const my = theirPhone;
  const userId = `ali-${TAG}`;

  // Sign in with my.getAuthCode's code: a new user is taken to real-name binding.
  const login = await open("login");
  await login.signIn();
  assert.equal(login.data.error, "");
  assert.deepEqual(lastNavigation(), ["redirectTo", "/pages/identity/identity"]);
  const signIn = my.requests.find((r) => r.path === "/v1/auth/alipay");
  assert.equal(signIn.method, "POST");
  assert.equal(signIn.headers["content-type"], "application/json");
  assert.match(my.storage.get("yuyue.tokens").refresh_token, /^yrt_/);

  // Real-name binding on the identity page: a slip is caught before any request.
  const identity = await open("identity");
  const sent = my.requests.length;
  identity.onName({ detail: { value: "梁晓峰" } });
  identity.onIdNumber({ detail: { value: "110101199003071234" } });
  await identity.submit();
  assert.match(identity.data.error, /身份证号码有误/);
  assert.equal(my.requests.length, sent);
  identity.onIdNumber({ detail: { value: idNumber("19900307", SEQ, "310104") } });
  await identity.submit();
  assert.equal(identity.data.error, "");
  assert.deepEqual(lastNavigation(), ["reLaunch", "/pages/home/home"]);
  assert.equal(my.storage.get("yuyue.user").identity_bound, true);

  // Home lists the services; a service opens its guide.
  const home = await open("home");
  assert.equal(home.data.t.signIn, "支付宝登录");
  assert.ok(home.data.services.some((s) => s.service_id === "passport"));
  home.pickService({ target: { dataset: { id: "passport" } } });
  assert.deepEqual(lastNavigation(), ["navigateTo", "/pages/guide/guide?service=passport"]);

  // The hall publishes this journey's period.
  assertOk(
    await api("POST", "/v1/ops/schedules", {
      headers: OPS,
      body: { office_id: HALL, date: DAY, periods: [{ period_id: PERIOD, start: "14:00", end: "15:00", capacity: 3 }] },
    }),
  );

  // The slot picker: the day and the period chosen by taps (Alipay's events carry data-* in `target`).
  const slots = await open("slots", { office: HALL, service: "passport" });
  assert.equal(slots.data.error, "");
  const dayIndex = slots.data.days.findIndex((d) => d.date === DAY);
  assert.ok(dayIndex >= 0, `${DAY} on the slot page`);
  slots.pickDay({ target: { dataset: { index: dayIndex } } });
  const periodIndex = slots.data.periods.findIndex((p) => p.period_id === PERIOD);
  slots.pickPeriod({ target: { dataset: { index: periodIndex } } });
  slots.next();
  const [how, url] = lastNavigation();
  assert.equal(how, "navigateTo");
  const slot = queryOf(url);
  assert.deepEqual([slot.office, slot.date, slot.period], [HALL, DAY, PERIOD]);

  // The booking form: the phone from Alipay's button (declined first: nothing sent, typed then),
  // the terms shown, and the subscription dialog right before the submit.
  const book = await open("book", slot);
  assert.equal(book.data.error, "");
  assert.equal(book.data.applicants.length, 1);
  assert.equal(book.data.phoneButton, true);
  const beforePhone = my.requests.length;
  await book.onPhoneCode({ type: "getAuthorize" });
  assert.equal(my.requests.length, beforePhone, "declined: nothing sent");
  assert.equal(book.data.phone, "");
  my.mobile = "13800138000";
  await book.onPhoneCode({ type: "getAuthorize" });
  assert.equal(book.data.error, "");
  assert.equal(book.data.phone, "13800138000", "Alipay's number, opened by the backend, fills the form");
  assert.equal(my.storage.get("yuyue.user").phone, "138****8000");
  await book.showTerms();
  assert.ok(book.data.terms.items.length >= 3);
  book.toggleAgree();
  const before = my.requests.length;
  await book.submit();
  assert.equal(book.data.error, "");
  assert.deepEqual(my.subscriptions, [{ entityIds: ["dev-ali-confirmed", "dev-ali-reminder", "dev-ali-cancelled"], requestsBefore: before }]);
  const submit = my.requests[before];
  assert.deepEqual([submit.method, submit.path], ["POST", "/v1/bookings"]);
  assert.match(submit.headers["Idempotency-Key"], /^bk-/);
  const [redirect, resultUrl] = lastNavigation();
  assert.equal(redirect, "redirectTo");
  const bookingNo = queryOf(resultUrl).no;

  // The result page shows the booking and its QR code.
  const result = await open("result", { no: bookingNo });
  assert.equal(result.data.booking.status, "booked");
  assert.match(result.data.qrSrc, /^data:image\/svg\+xml;base64,/);

  // Alipay delivered the confirmation, to this user, with the template they accepted.
  const confirmed = await until("alipay_messages", (all) => all.some((m) => m.to_user_id === userId));
  const mine = confirmed.filter((m) => m.to_user_id === userId);
  assert.equal(mine.length, 1, JSON.stringify(mine));
  assert.equal(mine[0].user_template_id, "dev-ali-confirmed");
  assert.ok(Object.values(mine[0].data).some((k) => k.value === bookingNo));

  // My bookings: cancel, after the confirm dialog.
  const bookings = await open("bookings");
  const listed = bookings.data.bookings.find((b) => b.booking_no === bookingNo);
  assert.equal(listed.canCancel, true);
  await bookings.cancel({ target: { dataset: { no: bookingNo } } });
  assert.equal(my.confirms.length, 1);
  assert.match(my.confirms[0].content, CJK);
  assert.equal(bookings.data.notice, "预约已取消");
  assert.equal(bookings.data.bookings.find((b) => b.booking_no === bookingNo).status, "cancelled");

  const told = await until("alipay_messages", (all) => all.filter((m) => m.to_user_id === userId).length >= 2);
  assert.deepEqual(
    told.filter((m) => m.to_user_id === userId).map((m) => m.user_template_id),
    ["dev-ali-confirmed", "dev-ali-cancelled"],
  );
  assert.equal((await records("subscribe_messages")).filter((m) => m.touser === userId).length, 0, "nothing through WeChat");

  // Elder mode, switched on at home, is on in every page opened after.
  const again = await open("home");
  again.toggleElder();
  assert.equal((await open("documents")).data.elder, true);

  // The phone switched to English: the pages' words, the labels of codes and the backend's names.
  my.language = "en-US";
  const english = await open("bookings");
  assert.equal(english.data.t.cancel, "Cancel booking");
  const row = english.data.bookings.find((b) => b.booking_no === bookingNo);
  assert.deepEqual([row.serviceName, row.statusText], ["Passport", "Cancelled"]);
  const homeEn = await open("home");
  assert.equal(homeEn.data.t.signIn, "Sign in with Alipay");
  assert.doesNotMatch(homeEn.data.services.map((s) => s.name + s.note).join(" "), CJK);
  my.language = "zh-Hans";
});

test("on Alipay: a user who declines the dialog is sent nothing (USER_NOT_SUBSCRIBED), and English follows the phone", { skip: HOLIDAYS }, async () => {
  const { createClient } = require(`${ROOT}/utils/api.js`);
  const my = phone(`${TAG}-no`, { language: "en-US" });
  my.declines = true;
  // As in production: the face check is the vendor's H5 page in the face page's web-view.
  const c = createClient({ my, baseUrl: BASE, devUser: `${TAG}-no`, devVerifyToken: null, faceVerifyH5: "https://face.vendor.example/h5/liveness" });
  assert.equal(c.platform, "alipay");
  const user = await c.login();
  assert.equal(user.identity_bound, false);

  // Refusals come in the phone's language, read from my.request's error-19 failure.
  const err = await c.helpers().then(
    () => assert.fail("IDENTITY_REQUIRED expected"),
    (e) => e,
  );
  assert.equal(err.code, "IDENTITY_REQUIRED");
  assert.equal(err.status, 403);
  assert.doesNotMatch(err.message, CJK);

  const id = idNumber("19880512", SEQ, "310104");
  const checking = c.faceVerify({ name: "李杰", idNumber: id });
  assert.deepEqual(my.navigations.at(-1), ["navigateTo", "/pages/face/face"]);
  const facePage = await open("face");
  assert.match(facePage.data.url, /^https:\/\/face\.vendor\.example\/h5\/liveness#name=%E6%9D%8E%E6%9D%B0&document=/);
  // What the vendor's page posts once the check passed (the local face fake passes `dev-ok`),
  // which the backend then asks the vendor about.
  facePage.onMessage({ detail: { verify_token: "dev-ok" } });
  const bound = await c.bindIdentity({ name: "李杰", idNumber: id, verifyToken: await checking });
  assert.equal(bound.identity_bound, true);
  const [self] = await c.applicants();
  const booking = await c.createBooking({
    applicant_id: self.applicant_id,
    service: "passport",
    office_id: HALL,
    date: DAY,
    period_id: PERIOD,
    phone: "13900139000",
    pickup: { method: "collect" },
    agree_terms: true,
  });
  assert.equal(my.subscriptions.length, 1, "asked before the submit");
  assert.equal(my.requests[my.subscriptions[0].requestsBefore].path, "/v1/bookings");

  const rejected = await until("alipay_rejected", (all) => all.some((m) => m.to_user_id === my.userId));
  assert.deepEqual(
    rejected.filter((m) => m.to_user_id === my.userId).map((m) => [m.user_template_id, m.sub_code]),
    [["dev-ali-confirmed", "USER_NOT_SUBSCRIBED"]],
  );
  assert.deepEqual(await messagesTo(my.userId)(), []);
  await c.cancelBooking(booking.booking_no);
  await until("alipay_rejected", (all) => all.filter((m) => m.to_user_id === my.userId).length >= 2);
  assert.deepEqual(await messagesTo(my.userId)(), [], "the cancellation is not delivered either");
});
