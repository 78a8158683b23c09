// Foreigners end to end, and English: binding a passport or a permanent residence card, the
// visa and residence services that take only those, helpers adding foreign principals (adults by
// face check, children with a birth date), clean refusals of bad documents with nothing written,
// and every text in English when Accept-Language asks for it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, assertError, assertOk, clientIp, idNumber, loginIdentified, loginWechat, OPS, publish, shanghaiDate, subscribe, until, wechatCode, withCheck } from "./helpers.mjs";

const EN = { "accept-language": "en-US,en;q=0.9" };
const CJK = /[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/;
const OFFICE = "bj-dongcheng"; // offers every service, needs no photo receipt

let seq = 0;
/** A passport number no other test run uses: a letter, then digits from the pid and a counter. */
function passportNo() {
  seq += 1;
  return `E${String(process.pid).padStart(6, "0")}${String(seq).padStart(3, "0")}`;
}

/** A permanent residence ID number: 9, Beijing (11), nationality 840, a birth date, a sequence. */
function permanentResidenceId(yyyymmdd = "19850412") {
  seq += 1;
  return withCheck(`911840${yyyymmdd}${String((process.pid + seq) % 1000).padStart(3, "0")}`);
}

async function foreigner(tag, name = "SMITH JOHN", nationality = "USA") {
  const session = await loginWechat(`${tag}-${process.pid}-${++seq}`);
  const number = passportNo();
  const res = await api("POST", "/v1/me/identity", {
    token: session.token,
    body: { name, passport: { number, nationality }, verify_token: "dev-ok" },
  });
  return { ...session, number, me: assertOk(res) };
}

const publishOn = (date, periods) => publish(OFFICE, date, periods);

let keySeq = 0;
function book(who, applicantId, service, date, periodId) {
  return api("POST", "/v1/bookings", {
    token: who.token,
    headers: { "idempotency-key": `fk-${process.pid}-${Date.now()}-${++keySeq}` },
    body: {
      applicant_id: applicantId,
      service,
      office_id: OFFICE,
      date,
      period_id: periodId,
      phone: "13812345678",
      pickup: { method: "collect" },
      agree_terms: true,
    },
  });
}

test("a foreigner binds a passport, books a visa extension, is refused a passport, cancels and rebooks", async () => {
  const date = shanghaiDate(3);
  await publishOn(date, [{ period_id: "fx-1", start: "09:00", end: "10:00", capacity: 5 }]);
  const john = await foreigner("fx-john", "smith john");
  const identity = john.me.identity;
  assert.equal(identity.name, "S**** J***");
  assert.equal(identity.id_number, null);
  assert.deepEqual(identity.document, {
    type: "foreign_passport",
    number: `${john.number.slice(0, 2)}${"*".repeat(john.number.length - 4)}${john.number.slice(-2)}`,
    nationality: "USA",
  });
  assert.ok(!JSON.stringify(john.me).includes(john.number), "the passport number is masked");
  assert.deepEqual(assertOk(await api("GET", "/v1/me", { token: john.token })).identity, identity);

  const own = identity.applicant_id;
  const first = assertOk(await book(john, own, "visa_extension", date, "fx-1"), 201);
  assert.equal(first.status, "booked");

  const wrong = await book(john, own, "passport", date, "fx-1");
  assertError(wrong, 400, "INVALID_ARGUMENT");
  assert.equal(wrong.body.details.reason, "document_not_accepted");
  assert.equal(wrong.body.details.field, "service");
  assert.match(wrong.body.message, CJK, "Chinese by default");
  const wrongEn = await api("POST", "/v1/bookings", {
    token: john.token,
    headers: { ...EN, "idempotency-key": `fk-en-${process.pid}-${++keySeq}` },
    body: { applicant_id: own, service: "id_card", office_id: OFFICE, date, period_id: "fx-1", phone: "13812345678", pickup: { method: "collect" }, agree_terms: true },
  });
  assertError(wrongEn, 400, "INVALID_ARGUMENT");
  assert.equal(wrongEn.body.details.reason, "document_not_accepted");
  assert.doesNotMatch(wrongEn.body.message, CJK);
  assert.match(wrongEn.body.message, /resident ID card/);

  // One active booking per applicant and service holds for foreigners too.
  assertError(await book(john, own, "visa_extension", date, "fx-1"), 409, "ALREADY_BOOKED");
  const cancelled = assertOk(await api("POST", `/v1/bookings/${first.booking_no}/cancel`, { token: john.token, body: {} }));
  assert.equal(cancelled.status, "cancelled");
  const again = assertOk(await book(john, own, "visa_extension", date, "fx-1"), 201);
  assert.notEqual(again.booking_no, first.booking_no);
  const listed = assertOk(await api("GET", `/v1/bookings?applicant_id=${own}`, { token: john.token }));
  assert.deepEqual(
    listed.bookings.map((b) => [b.booking_no, b.status]).sort(),
    [
      [first.booking_no, "cancelled"],
      [again.booking_no, "booked"],
    ].sort(),
  );
});

test("a permanent residence card holder binds, with a Chinese name kept beside the Latin one", async () => {
  const session = await loginWechat(`fx-pr-${process.pid}`);
  const number = permanentResidenceId();
  const me = assertOk(
    await api("POST", "/v1/me/identity", {
      token: session.token,
      body: { name: "MUELLER ANNA", name_zh: "安娜", permanent_residence_id: number, verify_token: "dev-ok" },
    }),
  );
  assert.equal(me.identity.document.type, "permanent_residence");
  assert.equal(me.identity.document.number, `${number.slice(0, 4)}${"*".repeat(10)}${number.slice(-4)}`);
  assert.equal(me.identity.name, "M****** A***");
  assert.equal(me.identity.name_zh, "安*");
  // The same card cannot become a second WeChat account's identity.
  const other = await loginWechat(`fx-pr2-${process.pid}`);
  const taken = await api("POST", "/v1/me/identity", {
    token: other.token,
    body: { name: "MUELLER ANNA", permanent_residence_id: number, verify_token: "dev-ok" },
  });
  assertError(taken, 409, "CONFLICT");
  assert.equal(taken.body.details.reason, "identity_bound_to_another_account");
});

test("a resident adds a foreign parent by face check and books a residence permit; the parent sees it", async () => {
  const date = shanghaiDate(6);
  await publishOn(date, [{ period_id: "fx-rp", start: "10:00", end: "11:00", capacity: 3 }]);
  const son = await loginIdentified(`fx-son-${process.pid}`, idNumber("19880808", (process.pid % 900) + 11, "110101"), "王明");
  const number = passportNo();
  const added = await api("POST", "/v1/applicants", {
    token: son.token,
    body: { name: "Brown Mary-Ann", passport: { number, nationality: "gbr" }, relation: "parent", verify_token: "dev-ok" },
  });
  const parent = assertOk(added, 201).applicant;
  assert.equal(parent.status, "active");
  assert.equal(parent.consent, "face_verified");
  assert.equal(parent.name, "B**** M*******");
  assert.deepEqual(parent.document.nationality, "GBR");
  assert.ok(!added.text.includes(number));

  const booked = assertOk(await book(son, parent.applicant_id, "residence_permit", date, "fx-rp"), 201);
  assert.equal(booked.status, "booked");

  // The parent signs in on their own phone, binds the same passport, and reads what was done.
  const mary = await loginWechat(`fx-mary-${process.pid}`);
  const mine = assertOk(
    await api("POST", "/v1/me/identity", {
      token: mary.token,
      body: { name: "BROWN MARY-ANN", passport: { number, nationality: "GBR" }, verify_token: "dev-ok" },
    }),
  );
  assert.equal(mine.identity.applicant_id, parent.applicant_id);
  const audit = assertOk(await api("GET", "/v1/me/audit?limit=50", { token: mary.token, headers: EN })).entries;
  const bookedEntry = audit.find((e) => e.action === "booking.create" && e.target === booked.booking_no);
  assert.ok(bookedEntry, JSON.stringify(audit));
  assert.equal(bookedEntry.actor.kind, "helper");
  assert.equal(bookedEntry.actor.user_id, son.user.user_id);
  assert.ok(audit.some((e) => e.action === "helper.linked"));
  const bookings = assertOk(await api("GET", `/v1/bookings?applicant_id=${parent.applicant_id}`, { token: mary.token }));
  assert.deepEqual(bookings.bookings.map((b) => b.booking_no), [booked.booking_no]);
});

test("a foreign child is added with a birth date, and without one is asked for it", async () => {
  const mum = await foreigner("fx-mum", "LEE SARAH", "CAN");
  const childNo = passportNo();
  const body = { name: "LEE TOM", passport: { number: childNo, nationality: "CAN" }, relation: "child" };
  const before = assertOk(await api("GET", "/v1/applicants", { token: mum.token })).applicants.length;
  const missing = await api("POST", "/v1/applicants", { token: mum.token, body, headers: EN });
  assertError(missing, 400, "INVALID_ARGUMENT");
  assert.equal(missing.body.details.field, "birth_date");
  assert.equal(missing.body.details.reason, "birth_date_required");
  assert.doesNotMatch(missing.body.message, CJK);
  assert.equal(assertOk(await api("GET", "/v1/applicants", { token: mum.token })).applicants.length, before);

  const future = await api("POST", "/v1/applicants", { token: mum.token, body: { ...body, birth_date: "2999-01-01" } });
  assertError(future, 400, "INVALID_ARGUMENT");
  assert.equal(future.body.details.field, "birth_date");

  const tom = assertOk(await api("POST", "/v1/applicants", { token: mum.token, body: { ...body, birth_date: "2018-05-01" } }), 201).applicant;
  assert.equal(tom.status, "active");
  assert.equal(tom.consent, "guardian");
  assert.equal(tom.minor, true);
  assert.equal(tom.document.type, "foreign_passport");
  assert.equal(assertOk(await api("GET", "/v1/applicants", { token: mum.token })).applicants.length, before + 1);
});

test("bad documents are clean 400s naming the field, and nothing is written", async () => {
  const session = await loginWechat(`fx-bad-${process.pid}`);
  const good = { number: passportNo(), nationality: "USA" };
  const cases = [
    [{ name: "SMITH JOHN", passport: good, id_number: idNumber("19900101", 7) }, "document", "one_document_only"],
    [{ name: "SMITH JOHN", passport: good, permanent_residence_id: permanentResidenceId() }, "document", "one_document_only"],
    [{ name: "SMITH JOHN" }, "document", "document_required"],
    [{ name: "SMITH JOHN", passport: { number: good.number, nationality: "XYZ" } }, "passport.nationality", "unknown_nationality"],
    [{ name: "SMITH JOHN", passport: { number: good.number, nationality: "CHN" } }, "passport.nationality", "not_foreign_nationality"],
    [{ name: "SMITH JOHN", passport: { number: "E1-23", nationality: "USA" } }, "passport.number", "bad_passport_no"],
    [{ name: "SMITH JOHN", permanent_residence_id: "91184019850412001" }, "permanent_residence_id", "bad_format"],
    [{ name: "SMITH JOHN", permanent_residence_id: permanentResidenceId().replace(/.$/, (c) => (c === "0" ? "1" : "0")) }, "permanent_residence_id", "bad_check_digit"],
    [{ name: "张三", id_number: "110105194912310021" }, "id_number", "bad_check_digit"],
    [{ name: "SMITH J0HN", passport: good }, "name", "bad_char"],
    [{ name: "约翰", passport: good }, "name", "latin_name_required"],
  ];
  for (const [body, field, reason] of cases) {
    for (const headers of [{}, EN]) {
      const res = await api("POST", "/v1/me/identity", { token: session.token, headers, body: { ...body, verify_token: "dev-ok" } });
      assertError(res, 400, "INVALID_ARGUMENT");
      assert.equal(res.body.details.field, field, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.body.details.reason, reason, `${JSON.stringify(body)}: ${res.text}`);
      if (headers === EN) assert.doesNotMatch(res.body.message, CJK, res.text);
      else assert.match(res.body.message, CJK, res.text);
    }
  }
  assert.equal(assertOk(await api("GET", "/v1/me", { token: session.token })).identity, null, "nothing was bound");
  // The same rules guard adding a principal.
  const helper = await foreigner("fx-bad-helper");
  for (const [body, field] of cases.slice(0, 6)) {
    const res = await api("POST", "/v1/applicants", { token: helper.token, body: { ...body, relation: "parent" } });
    assertError(res, 400, "INVALID_ARGUMENT");
    assert.equal(res.body.details.field, field, res.text);
  }
  assert.equal(assertOk(await api("GET", "/v1/applicants", { token: helper.token })).applicants.length, 1);
});

test("English on request for errors and every service's name and guide; Chinese otherwise", async () => {
  const errors = [
    [await api("GET", "/v1/me", { headers: EN }), 401, "UNAUTHENTICATED"],
    [await api("GET", "/v1/offices/no-such-hall", { headers: EN }), 404, "NOT_FOUND"],
    [await api("DELETE", "/v1/services", { headers: EN }), 405, "METHOD_NOT_ALLOWED"],
    [await api("GET", "/v1/offices?city=BJ", { headers: EN }), 400, "INVALID_ARGUMENT"],
    [await api("POST", "/v1/auth/wechat", { headers: { ...EN, "content-type": "text/plain" }, raw: "x" }), 415, "UNSUPPORTED_MEDIA_TYPE"],
  ];
  for (const [res, status, code] of errors) {
    assertError(res, status, code);
    assert.doesNotMatch(res.body.message, CJK, res.text);
  }
  // Anything but English, or English ruled out by its q-value, is Chinese.
  for (const lang of [undefined, "zh-CN", "fr-FR", "zh-CN,zh;q=0.9,en;q=0.8", "en;q=0"]) {
    const res = await api("GET", "/v1/me", { headers: lang ? { "accept-language": lang } : {} });
    assertError(res, 401, "UNAUTHENTICATED");
    assert.match(res.body.message, CJK, `${lang}: ${res.text}`);
  }
  const zh = assertOk(await api("GET", "/v1/services")).services;
  const en = assertOk(await api("GET", "/v1/services", { headers: { "accept-language": "en" } })).services;
  assert.equal(en.length, 8);
  assert.deepEqual(en.map((s) => s.service_id), zh.map((s) => s.service_id), "ids never change");
  for (const s of en) {
    assert.doesNotMatch(s.name, CJK, s.service_id);
    const guide = assertOk(await api("GET", `/v1/services/${s.service_id}/guide`, { headers: EN }));
    const text = JSON.stringify({ materials: guide.materials, procedure: guide.procedure, notes: guide.notes, pickup: guide.pickup_options });
    assert.ok(guide.materials.length > 0 && guide.procedure.length > 0, s.service_id);
    assert.doesNotMatch(text, CJK, `${s.service_id}: ${text}`);
    const chinese = assertOk(await api("GET", `/v1/services/${s.service_id}/guide`));
    assert.match(JSON.stringify(chinese.materials), CJK, s.service_id);
    assert.equal(guide.fee_fen, chinese.fee_fen);
    assert.equal(guide.for_foreigners, ["visa_extension", "visa_renewal", "visa_reissue", "residence_permit"].includes(s.service_id));
  }
  const hall = assertOk(await api("GET", `/v1/offices/${OFFICE}`, { headers: EN }));
  for (const s of hall.services) assert.doesNotMatch(s.name, CJK);
});

test("an account signed in in English is told in English; its phrase stays Chinese as WeChat requires", async () => {
  const date = shanghaiDate(3);
  await publishOn(date, [{ period_id: "fx-1", start: "09:00", end: "10:00", capacity: 5 }]);
  const name = `fx-notify-${process.pid}`;
  await subscribe(`wx-${name}`);
  const signIn = (headers) =>
    api("POST", "/v1/auth/wechat", { headers: { ...headers, "cf-connecting-ip": clientIp() }, body: { code: wechatCode(name) } });
  const session = assertOk(await signIn(EN));
  const token = session.access_token;
  const me = assertOk(
    await api("POST", "/v1/me/identity", {
      token,
      body: { name: "NGUYEN AN", passport: { number: passportNo(), nationality: "VNM" }, verify_token: "dev-ok" },
    }),
  );
  const booked = assertOk(await book({ token }, me.identity.applicant_id, "visa_extension", date, "fx-1"), 201);
  const mine = (all) => all.filter((m) => m.touser === `wx-${name}`);
  const sent = mine(await until("subscribe_messages", (all) => mine(all).length > 0));
  assert.equal(sent.length, 1, "the confirmation arrives");
  assert.equal(sent[0].data.thing1.value, "Visa extension");
  assert.equal(sent[0].data.character_string4.value, booked.booking_no);
  assert.equal(sent[0].data.thing5.value, "N***** A*");

  // Signing in again in Chinese switches the account back; the cancellation is in Chinese.
  const zh = assertOk(await signIn({ "accept-language": "zh-CN" }));
  assertOk(await api("POST", `/v1/bookings/${booked.booking_no}/cancel`, { token: zh.access_token, body: {} }));
  const all = mine(await until("subscribe_messages", (records) => mine(records).length >= 2));
  assert.equal(all.length, 2, JSON.stringify(all));
  assert.match(all[1].data.thing1.value, CJK);
  assert.match(all[1].data.thing4.value, CJK);
});
