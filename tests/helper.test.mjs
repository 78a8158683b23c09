// Helpers (亲友帮办) through the local stack: each consent path, the limits, revocation from
// either side, a child coming of age, the audit trail, and the authorization matrix: every
// endpoint that takes an id, tried by every party that may not use it, refused with no effect.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { api, assertError, assertOk, idNumber, loginIdentified, loginWechat, OPS as ADMIN, shanghaiDate } from "./helpers.mjs";

const HALL = "bj-haidian";

const DAY = shanghaiDate(3);

let seq = 0;
/** A unique valid ID number born on `yyyymmdd` (region 320102, this run's sequence). */
function uniqueId(yyyymmdd) {
  seq += 1;
  return idNumber(yyyymmdd, ((process.pid % 90) * 11 + seq) % 1000, "320102");
}

/** An adult with a bound identity: { token, applicantId, user, idNo, name }. */
async function adult(tag, name = "周建国", year = 1960 + (seq % 30)) {
  const idNo = uniqueId(`${year}0412`);
  const s = await loginIdentified(`${tag}-${process.pid}-${seq}`, idNo, name);
  return { ...s, idNo, name };
}

/** YYYYMMDD of the day `years` years and `days` days before today (Asia/Shanghai). */
function bornAgo(years, days = 0) {
  const today = new Date(Date.now() + 8 * 3600_000);
  const d = new Date(Date.UTC(today.getUTCFullYear() - years, today.getUTCMonth(), today.getUTCDate() - days));
  return d.toISOString().slice(0, 10).replaceAll("-", "");
}

function add(who, body, headers = {}) {
  return api("POST", "/v1/applicants", { token: who.token, body, headers });
}

let keySeq = 0;
function book(who, applicantId, { period = "h-a", headers = {} } = {}) {
  return api("POST", "/v1/bookings", {
    token: who.token,
    headers: { "idempotency-key": `helper-${process.pid}-${Date.now()}-${++keySeq}`, ...headers },
    body: {
      applicant_id: applicantId,
      service: "passport",
      office_id: HALL,
      date: DAY,
      period_id: period,
      phone: "13700001111",
      pickup: { method: "collect" },
      agree_terms: true,
    },
  });
}

before(async () => {
  assertOk(
    await api("POST", "/v1/ops/schedules", {
      headers: ADMIN,
      body: { office_id: HALL, date: DAY, periods: [{ period_id: "h-a", start: "09:00", end: "10:00", capacity: 50 }] },
    }),
  );
});

test("a parent adds a child under 16 directly, books for them, and sees it", async () => {
  const mum = await adult("helper-mum", "韩梅梅");
  const kidNo = uniqueId(bornAgo(8));
  const added = assertOk(await add(mum, { name: "韩小梅", id_number: kidNo, relation: "child" }), 201);
  const a = added.applicant;
  assert.equal(a.status, "active");
  assert.equal(a.consent, "guardian");
  assert.equal(a.minor, true);
  assert.equal(a.name, "韩**");
  assert.equal(a.id_number, `${kidNo.slice(0, 4)}**********${kidNo.slice(14)}`);
  assert.equal(added.invitation, null);
  assert.ok(!JSON.stringify(added).includes(kidNo));

  const list = assertOk(await api("GET", "/v1/applicants", { token: mum.token })).applicants;
  assert.deepEqual(list.map((x) => [x.is_self, x.status]), [[true, "active"], [false, "active"]]);
  assert.equal(list[0].applicant_id, mum.applicantId);

  const b = assertOk(await book(mum, a.applicant_id), 201);
  const mine = assertOk(await api("GET", "/v1/bookings", { token: mum.token })).bookings;
  assert.ok(mine.some((x) => x.booking_no === b.booking_no));
  // The same child again is refused; so is adding oneself.
  const again = await add(mum, { name: "韩小梅", id_number: kidNo, relation: "child" });
  assertError(again, 409, "CONFLICT");
  assert.equal(again.body.details.reason, "already_linked");
  const self = await add(mum, { name: mum.name, id_number: mum.idNo, relation: "relative" });
  assertError(self, 409, "CONFLICT");
  assert.equal(self.body.details.reason, "self");
});

test("an adult consents by face verification, present on the helper's phone; a failed check writes nothing", async () => {
  const son = await adult("helper-son", "孙大伟");
  const dadNo = uniqueId("19450101");
  const failed = await add(son, { name: "孙老汉", id_number: dadNo, relation: "parent", verify_token: "dev-wrong" });
  assertError(failed, 403, "IDENTITY_VERIFICATION_FAILED");
  assert.equal(assertOk(await api("GET", "/v1/applicants", { token: son.token })).applicants.length, 1);
  const ok = assertOk(await add(son, { name: "孙老汉", id_number: dadNo, relation: "parent", verify_token: "dev-ok" }), 201);
  assert.equal(ok.applicant.status, "active");
  assert.equal(ok.applicant.consent, "face_verified");
  assertOk(await book(son, ok.applicant.applicant_id), 201);
});

test("an invitation: pending gives nothing; only the invited person accepts, once, and only in time", async () => {
  const helper = await adult("helper-inviter", "钱学森");
  const mumNo = uniqueId("19480303");
  const invited = assertOk(await add(helper, { name: "钱老太", id_number: mumNo, relation: "parent" }), 201);
  assert.equal(invited.applicant.status, "pending");
  assert.match(invited.invitation.code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=U]{5}$/);
  const principalId = invited.applicant.applicant_id;
  assertError(await book(helper, principalId), 404, "NOT_FOUND");

  const stranger = await adult("helper-stranger", "路人甲");
  const wrong = await api("POST", `/v1/applicants/invitations/${invited.invitation.code}/accept`, { token: stranger.token });
  assertError(wrong, 403, "FORBIDDEN");
  assert.equal(wrong.body.details.reason, "identity_mismatch");
  const unbound = await loginWechat(`helper-unbound-${process.pid}`);
  assertError(
    await api("POST", `/v1/applicants/invitations/${invited.invitation.code}/accept`, { token: unbound.token }),
    403,
    "IDENTITY_REQUIRED",
  );
  assertError(await api("POST", "/v1/applicants/invitations/NOT-A-CODE/accept", { token: stranger.token }), 404, "NOT_FOUND");

  // Mum signs up herself; her identity is the record her son made.
  const mum = await loginIdentified(`helper-mum2-${process.pid}`, mumNo, "钱老太");
  assert.equal(mum.applicantId, principalId);
  const late = { "x-dev-now": new Date(Date.now() + 8 * 3600_000 + 73 * 3600_000).toISOString().slice(0, 19) + "+08:00" };
  const expired = await api("POST", `/v1/applicants/invitations/${invited.invitation.code}/accept`, { token: mum.token, headers: late });
  assertError(expired, 409, "CONFLICT");
  assert.equal(expired.body.details.reason, "invitation_expired");

  const accepted = assertOk(await api("POST", `/v1/applicants/invitations/${invited.invitation.code}/accept`, { token: mum.token }));
  assert.equal(accepted.status, "active");
  assert.equal(accepted.name, "钱**");
  assert.equal(accepted.user_id, helper.user.user_id);
  const replay = assertOk(await api("POST", `/v1/applicants/invitations/${invited.invitation.code.toLowerCase()}/accept`, { token: mum.token }));
  assert.deepEqual(replay, accepted);
  assertOk(await book(helper, principalId), 201);

  const helpers = assertOk(await api("GET", "/v1/me/helpers", { token: mum.token })).helpers;
  assert.deepEqual(helpers.map((h) => [h.user_id, h.relation, h.status, h.consent]), [[helper.user.user_id, "parent", "active", "invitation"]]);
});

test("limits: principals per user, helpers per principal; a refusal adds nobody", async () => {
  const busy = await adult("helper-busy", "吴用");
  for (let i = 0; i < 5; i++) {
    assertOk(await add(busy, { name: "吴小宝", id_number: uniqueId(bornAgo(5 + i)), relation: "child" }), 201);
  }
  const sixthNo = uniqueId(bornAgo(11));
  const sixth = await add(busy, { name: "吴小宝", id_number: sixthNo, relation: "child" });
  assertError(sixth, 429, "LIMIT_EXCEEDED");
  assert.deepEqual(sixth.body.details, { limit: "principals_per_user", max: 5 });
  assert.equal(assertOk(await api("GET", "/v1/applicants", { token: busy.token })).applicants.length, 6);

  const kidNo = uniqueId(bornAgo(6));
  for (let i = 0; i < 3; i++) {
    const parent = await adult(`helper-many-${i}`, "郑成功");
    assertOk(await add(parent, { name: "郑小功", id_number: kidNo, relation: i ? "guardian" : "child" }), 201);
  }
  const fourth = await adult("helper-many-3", "郑成功");
  const refused = await add(fourth, { name: "郑小功", id_number: kidNo, relation: "child" });
  assertError(refused, 429, "LIMIT_EXCEEDED");
  assert.equal(refused.body.details.limit, "helpers_per_principal");
});

test("adds racing each other cannot pass a limit together, nor link one principal twice", async () => {
  const racer = await adult("helper-racer", "秦琼");
  for (let i = 0; i < 4; i++) {
    assertOk(await add(racer, { name: "秦小宝", id_number: uniqueId(bornAgo(4 + i)), relation: "child" }), 201);
  }
  const kids = [0, 1, 2, 3].map((i) => uniqueId(bornAgo(9 + i)));
  const raced = await Promise.all(kids.map((k) => add(racer, { name: "秦小宝", id_number: k, relation: "child" })));
  assert.deepEqual(raced.map((r) => r.status).sort(), [201, 429, 429, 429], raced.map((r) => r.text).join("\n"));
  assert.equal(assertOk(await api("GET", "/v1/applicants", { token: racer.token })).applicants.length, 6);

  const twin = await adult("helper-twin", "尉迟恭");
  const sameKid = uniqueId(bornAgo(7));
  const twice = await Promise.all([0, 1].map(() => add(twin, { name: "尉迟宝", id_number: sameKid, relation: "child" })));
  assert.deepEqual(twice.map((r) => r.status).sort(), [201, 409], twice.map((r) => r.text).join("\n"));
  assert.equal(assertOk(await api("GET", "/v1/applicants", { token: twin.token })).applicants.length, 2);
});

test("bad input is a 400 naming the field, before any lookup", async () => {
  const me = await adult("helper-bad", "冯巩");
  const good = uniqueId("19500101");
  const typo = good.slice(0, 17) + (good[17] === "0" ? "1" : "0");
  const cases = [
    [{ name: "x", id_number: uniqueId("19500101"), relation: "parent" }, "name"],
    [{ name: "冯老", id_number: typo, relation: "parent" }, "id_number"],
    [{ name: "冯老", id_number: uniqueId("19500101"), relation: "self" }, "relation"],
    [{ name: "冯老", id_number: uniqueId("19500101"), relation: "boss" }, "relation"],
    [{ name: "冯老", id_number: uniqueId("19500101"), relation: "parent", verify_token: "has space" }, "verify_token"],
  ];
  for (const [body, field] of cases) {
    const res = await add(me, body);
    assertError(res, 400, "INVALID_ARGUMENT");
    assert.equal(res.body.details.field, field, JSON.stringify(body));
  }
  assertError(await add(me, { name: "冯老" }), 400, "INVALID_ARGUMENT");
  assertError(await api("POST", "/v1/applicants", { token: me.token, raw: "{}" }), 415, "UNSUPPORTED_MEDIA_TYPE");
  assertError(await api("GET", "/v1/me/audit?limit=0", { token: me.token }), 400, "INVALID_ARGUMENT");
  assertError(await api("GET", "/v1/applicants"), 401, "UNAUTHENTICATED");
  const unbound = await loginWechat(`helper-unbound2-${process.pid}`);
  assertError(await add(unbound, { name: "冯老", id_number: uniqueId("19500101"), relation: "parent" }), 403, "IDENTITY_REQUIRED");
  assertError(await api("GET", "/v1/me/helpers", { token: unbound.token }), 403, "IDENTITY_REQUIRED");
  assert.equal(assertOk(await api("GET", "/v1/applicants", { token: me.token })).applicants.length, 1);
});

test("a child turning 16 needs to consent; the guardian asks again and the teenager accepts", async () => {
  const mum = await adult("helper-teen-mum", "何丽");
  const teenNo = uniqueId(bornAgo(16, -1)); // 16 tomorrow
  const kid = assertOk(await add(mum, { name: "何小丽", id_number: teenNo, relation: "child" }), 201).applicant;
  const tomorrow = { "x-dev-now": `${shanghaiDate(1)}T09:00:00+08:00` };
  const before = assertOk(await book(mum, kid.applicant_id), 201);
  const list = assertOk(await api("GET", "/v1/applicants", { token: mum.token, headers: tomorrow })).applicants;
  assert.equal(list[1].status, "consent_required");
  assertError(await api("GET", `/v1/bookings?applicant_id=${kid.applicant_id}`, { token: mum.token, headers: tomorrow }), 404, "NOT_FOUND");

  const asked = await add(mum, { name: "何小丽", id_number: teenNo, relation: "child" }, tomorrow);
  const data = assertOk(asked, 200);
  assert.equal(data.applicant.status, "pending");
  const teen = await loginIdentified(`helper-teen-${process.pid}`, teenNo, "何小丽");
  // The booking made for the child before stays the child's.
  const theirs = assertOk(await api("GET", "/v1/bookings", { token: teen.token })).bookings;
  assert.ok(theirs.some((b) => b.booking_no === before.booking_no));
  assertOk(await api("POST", `/v1/applicants/invitations/${data.invitation.code}/accept`, { token: teen.token, headers: tomorrow }));
  assertOk(await api("GET", `/v1/bookings?applicant_id=${kid.applicant_id}`, { token: mum.token, headers: tomorrow }));
});

test("the authorization matrix: strangers, a pending helper and a revoked one are refused everywhere, with no effect", async () => {
  const owner = await adult("matrix-owner", "欧阳锋");
  const helper = await adult("matrix-helper", "欧阳克");
  const pending = await adult("matrix-pending", "杨过");
  const revoked = await adult("matrix-revoked", "郭靖");
  const stranger = await adult("matrix-stranger", "黄蓉");

  // Links to the owner: active (by invitation), pending, and one revoked by the owner.
  const link = async (who) =>
    assertOk(await add(who, { name: owner.name, id_number: owner.idNo, relation: "relative" }), 201).invitation.code;
  const accept = (code) => api("POST", `/v1/applicants/invitations/${code}/accept`, { token: owner.token });
  assertOk(await accept(await link(helper)));
  const pendingCode = await link(pending);
  assertOk(await accept(await link(revoked)));
  assertOk(await api("DELETE", `/v1/me/helpers/${revoked.user.user_id}`, { token: owner.token }));

  // The owner's objects: a booking made by the helper, and an application opened at check-in.
  const b = assertOk(await book(helper, owner.applicantId), 201);
  const checkin = await api("POST", `/v1/ops/bookings/${b.booking_no}/checkin`, {
    headers: { ...ADMIN, "x-dev-now": `${DAY}T09:10:00+08:00` },
  });
  const applicationNo = assertOk(checkin, 201).application.application_no;
  const b2 = assertOk(await book(owner, owner.applicantId), 201);

  const id = owner.applicantId;
  const forbidden = [
    ["GET", `/v1/bookings?applicant_id=${id}`],
    ["GET", `/v1/bookings/${b2.booking_no}`],
    ["POST", `/v1/bookings/${b2.booking_no}/cancel`, {}],
    ["GET", `/v1/applications?applicant_id=${id}`],
    ["GET", `/v1/applications/${applicationNo}`],
    ["GET", `/v1/documents?applicant_id=${id}`],
    ["DELETE", `/v1/applicants/${id}`],
    ["DELETE", `/v1/me/helpers/${helper.user.user_id}`],
  ];
  for (const who of [pending, revoked, stranger]) {
    for (const [method, path, body] of forbidden) {
      // A pending helper may withdraw their own invitation; that is not acting for the owner.
      if (who === pending && method === "DELETE" && path.startsWith("/v1/applicants/")) continue;
      const res = await api(method, path, { token: who.token, body });
      assertError(res, 404, "NOT_FOUND");
    }
    assertError(await book(who, id), 404, "NOT_FOUND");
    const accepted = await api("POST", `/v1/applicants/invitations/${pendingCode}/accept`, { token: who.token });
    assertError(accepted, 403, "FORBIDDEN");
  }
  // The helper with an active link may do each of these.
  assertOk(await api("GET", `/v1/bookings?applicant_id=${id}`, { token: helper.token }));
  assertOk(await api("GET", `/v1/bookings/${b2.booking_no}`, { token: helper.token }));
  assertOk(await api("GET", `/v1/applications?applicant_id=${id}`, { token: helper.token }));
  assertOk(await api("GET", `/v1/applications/${applicationNo}`, { token: helper.token }));
  assertOk(await api("GET", `/v1/documents?applicant_id=${id}`, { token: helper.token }));

  // Nothing changed: the booking stands, the owner's links are as they were, nobody else acted.
  assert.equal(assertOk(await api("GET", `/v1/bookings/${b2.booking_no}`, { token: owner.token })).status, "booked");
  const helpers = assertOk(await api("GET", "/v1/me/helpers", { token: owner.token })).helpers;
  assert.deepEqual(
    helpers.map((h) => [h.user_id, h.status]).sort(),
    [[helper.user.user_id, "active"], [pending.user.user_id, "pending"]].sort(),
  );
  const audit = assertOk(await api("GET", "/v1/me/audit?limit=200", { token: owner.token })).entries;
  const actors = new Set(audit.filter((e) => e.actor.kind === "helper").map((e) => e.actor.user_id));
  for (const who of [pending, revoked, stranger]) {
    const acted = audit.filter((e) => e.actor.user_id === who.user.user_id).map((e) => e.action);
    assert.ok(acted.every((a) => a === "helper.invited"), `${who.name}: ${acted}`);
  }
  assert.ok(actors.has(helper.user.user_id));
  const helperActions = audit.filter((e) => e.actor.user_id === helper.user.user_id).map((e) => e.action);
  for (const a of ["helper.invited", "booking.create", "bookings.view", "applications.view", "documents.view"]) {
    assert.ok(helperActions.includes(a), `${a} in ${helperActions}`);
  }
  assert.ok(audit.some((e) => e.action === "booking.checkin" && e.actor.kind === "ops"));
  assert.ok(audit.some((e) => e.action === "helper.revoked" && e.actor.kind === "self"));
  assert.ok(!JSON.stringify(audit).includes(helper.name), "helpers' names are masked");

  // Revoking takes effect on the helper's next request; what they booked stays the owner's.
  assertOk(await api("DELETE", `/v1/me/helpers/${helper.user.user_id}`, { token: owner.token }));
  assertError(await api("GET", `/v1/bookings/${b.booking_no}`, { token: helper.token }), 404, "NOT_FOUND");
  assert.equal(assertOk(await api("GET", `/v1/bookings/${b.booking_no}`, { token: owner.token })).booking_no, b.booking_no);
  // The pending helper withdraws; the owner's own record cannot be removed.
  assertOk(await api("DELETE", `/v1/applicants/${id}`, { token: pending.token }));
  const own = await api("DELETE", `/v1/applicants/${id}`, { token: owner.token });
  assertError(own, 409, "CONFLICT");
  assert.equal(own.body.details.reason, "own_record");
  assert.deepEqual(assertOk(await api("GET", "/v1/me/helpers", { token: owner.token })).helpers, []);
});

test("an invitation left unanswered shows expired, then is dropped by the nightly job 30 days on", async () => {
  const helper = await adult("helper-lapsed", "吴一凡");
  const invited = assertOk(await add(helper, { name: "吴老伯", id_number: uniqueId("19460606"), relation: "parent" }), 201);
  const id = invited.applicant.applicant_id;
  const at = (days) => ({ "x-dev-now": new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 19) + "+08:00" });
  const listed = async (days) =>
    assertOk(await api("GET", "/v1/applicants", { token: helper.token, headers: at(days) })).applicants.find((a) => a.applicant_id === id);
  assert.equal((await listed(10)).status, "expired");
  const early = assertOk(await api("POST", "/v1/ops/jobs/nightly", { headers: { ...ADMIN, ...at(30) } }));
  assert.equal(typeof early.invitations_dropped, "number");
  assert.equal((await listed(30)).status, "expired", "kept while it lapsed less than 30 days ago");
  const late = assertOk(await api("POST", "/v1/ops/jobs/nightly", { headers: { ...ADMIN, ...at(34) } }));
  assert.ok(late.invitations_dropped >= 1, JSON.stringify(late));
  assert.equal(await listed(34), undefined, "dropped");
  assertError(await api("POST", `/v1/applicants/invitations/${invited.invitation.code}/accept`, { token: helper.token }), 404, "NOT_FOUND");
});
