// Notifications through the queue to the WeChat fake: a confirmation when a booking is made, a
// cancellation once however often it is cancelled, nothing repeated when the user has no
// subscription left (43101, recorded), a busy provider retried, the evening reminders, and a
// message when the application moves.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { api, assertOk, FAKES, idNumber, loginIdentified, OPS as ADMIN, records, shanghaiDate, subscribe, until, waitForLog } from "./helpers.mjs";

const HALL = "hz-xihu";

const DAY = shanghaiDate(3);

let seq = 0;
async function person(tag, platform = "wechat") {
  seq += 1;
  const name = `ntf-${tag}-${process.pid}`;
  const s = await loginIdentified(name, idNumber(`1983${String(1 + (seq % 12)).padStart(2, "0")}15`, (process.pid + seq) % 1000, "350102"), "林一", { platform });
  const openid = platform === "alipay" ? `ali-${name}` : `wx-${name}`;
  // As the mini-program asks before a submit: without it WeChat delivers nothing (43101), nor
  // Alipay (USER_NOT_SUBSCRIBED).
  await subscribe(openid);
  return { ...s, openid };
}

const to = (openid) => (m) => m.touser === openid;

let keys = 0;
async function book(who, period = "n-a") {
  return assertOk(
    await api("POST", "/v1/bookings", {
      token: who.token,
      headers: { "idempotency-key": `ntf-${process.pid}-${++keys}` },
      body: { applicant_id: who.applicantId, service: "passport", office_id: HALL, date: DAY, period_id: period, phone: "13600002222", pickup: { method: "collect" }, agree_terms: true },
    }),
    201,
  );
}

test("a booking is confirmed by a subscribe message, and a cancellation is told once", async () => {
  assertOk(
    await api("POST", "/v1/ops/schedules", {
      headers: ADMIN,
      body: { office_id: HALL, date: DAY, periods: [{ period_id: "n-a", start: "09:00", end: "10:00", capacity: 50 }] },
    }),
  );
  const me = await person("confirm");
  const b = await book(me);
  const sent = await until("subscribe_messages", (all) => all.some(to(me.openid)));
  const confirm = sent.filter(to(me.openid));
  assert.equal(confirm.length, 1);
  assert.equal(confirm[0].template_id, "dev-tmpl-confirmed");
  assert.equal(confirm[0].data.character_string4.value, b.booking_no);
  assert.equal(confirm[0].data.time3.value, `${DAY} 09:00~10:00`);
  assert.equal(confirm[0].data.thing5.value, "林*", "the applicant's name is masked");
  assert.equal(confirm[0].page, "pages/bookings/bookings");

  for (let i = 0; i < 2; i++) assertOk(await api("POST", `/v1/bookings/${b.booking_no}/cancel`, { token: me.token }));
  const after = await until("subscribe_messages", (all) => all.filter(to(me.openid)).length >= 2);
  await new Promise((r) => setTimeout(r, 1500)); // room for a wrong second message to show up
  const mine = (await records("subscribe_messages")).filter(to(me.openid));
  assert.deepEqual(mine.map((m) => m.template_id), ["dev-tmpl-confirmed", "dev-tmpl-cancelled"], JSON.stringify(after));
  assert.equal(mine[1].data.character_string3.value, b.booking_no);
});

test("no subscription left (43101) is recorded and never retried; a busy provider is retried", async () => {
  const refusing = await person("refusing");
  await fetch(`${FAKES}/__fakes/no-subscription`, { method: "POST", body: JSON.stringify({ openid: refusing.openid }) });
  await book(refusing);
  await until("subscribe_rejected", (all) => all.some(to(refusing.openid)));
  await new Promise((r) => setTimeout(r, 3000)); // retries would come after 1 s, 2 s
  const rejected = (await records("subscribe_rejected")).filter(to(refusing.openid));
  assert.deepEqual(rejected.map((r) => r.errcode), [43101]);
  assert.equal((await records("subscribe_messages")).filter(to(refusing.openid)).length, 0);

  const unlucky = await person("busy");
  const fault = await fetch(`${FAKES}/__fakes/faults`, {
    method: "POST",
    body: JSON.stringify({ provider: "wechat", op: "subscribe_send", mode: "busy", count: 2 }),
  });
  assert.equal(fault.status, 200);
  await book(unlucky);
  const delivered = await until("subscribe_messages", (all) => all.some(to(unlucky.openid)));
  assert.equal(delivered.filter(to(unlucky.openid)).length, 1, "delivered once, after the retries");
  const retried = await waitForLog((l) => l.event === "notice" && l.retry === true);
  assert.ok(retried, "the queue was asked to retry a notice");
});

test("Alipay accounts get template messages: sent once, an unsubscribed user recorded, a busy gateway retried", async () => {
  const me = await person("ali-ok", "alipay");
  const b = await book(me);
  const toMe = (m) => m.to_user_id === me.openid;
  const sent = await until("alipay_messages", (all) => all.some(toMe));
  const confirm = sent.filter(toMe);
  assert.equal(confirm.length, 1, JSON.stringify(confirm));
  assert.equal(confirm[0].user_template_id, "dev-ali-confirmed");
  assert.equal(confirm[0].page, "pages/bookings/bookings");
  assert.equal(confirm[0].data.keyword4.value, b.booking_no, "keywords in the WeChat fields' order");
  assert.equal(confirm[0].data.keyword3.value, `${DAY} 09:00~10:00`);
  assert.equal(confirm[0].data.keyword5.value, "林*", "the applicant's name is masked");
  assert.equal((await records("subscribe_messages")).filter(to(me.openid)).length, 0, "nothing through WeChat");

  const refusing = await person("ali-refusing", "alipay");
  await fetch(`${FAKES}/__fakes/no-subscription`, { method: "POST", body: JSON.stringify({ user_id: refusing.openid }) });
  await book(refusing);
  const toRefusing = (m) => m.to_user_id === refusing.openid;
  await until("alipay_rejected", (all) => all.some(toRefusing));
  await new Promise((r) => setTimeout(r, 3000)); // retries would come after 1 s, 2 s
  assert.deepEqual((await records("alipay_rejected")).filter(toRefusing).map((r) => r.sub_code), ["USER_NOT_SUBSCRIBED"]);

  const unlucky = await person("ali-busy", "alipay");
  const fault = await fetch(`${FAKES}/__fakes/faults`, {
    method: "POST",
    body: JSON.stringify({ provider: "alipay", op: "alipay.open.app.mini.templatemessage.send", mode: "busy", count: 2 }),
  });
  assert.equal(fault.status, 200);
  await book(unlucky);
  const toUnlucky = (m) => m.to_user_id === unlucky.openid;
  const delivered = await until("alipay_messages", (all) => all.some(toUnlucky));
  assert.equal(delivered.filter(toUnlucky).length, 1, "delivered once, after the retries");
});

test("the evening job reminds tomorrow's bookings; an application that moves is told", async () => {
  const me = await person("remind");
  const b = await book(me);
  const eve = { "x-dev-now": `${shanghaiDate(2)}T20:00:00+08:00` };
  const job = assertOk(await api("POST", "/v1/ops/jobs/reminders", { headers: { ...ADMIN, ...eve } }));
  assert.ok(job.reminders >= 1);
  const reminded = await until("subscribe_messages", (all) => all.some((m) => to(me.openid)(m) && m.template_id === "dev-tmpl-reminder"));
  const reminder = reminded.find((m) => to(me.openid)(m) && m.template_id === "dev-tmpl-reminder");
  assert.ok(reminder, JSON.stringify(reminded.filter(to(me.openid))));
  assert.equal(reminder.data.time3.value, `${DAY} 09:00~10:00`);

  // Checked in on the day, then the processing system moves the application.
  const checkin = await api("POST", `/v1/ops/bookings/${b.booking_no}/checkin`, { headers: { ...ADMIN, "x-dev-now": `${DAY}T09:10:00+08:00` } });
  const appNo = assertOk(checkin, 201).application.application_no;
  const raw = JSON.stringify({ status: "reviewing" });
  const ts = Math.floor(Date.now() / 1000);
  const sig = createHmac("sha256", "dev-webhook-secret").update(`${ts}.${raw}`).digest("hex");
  assertOk(
    await api("POST", `/v1/ops/applications/${appNo}/events`, {
      raw,
      headers: { "content-type": "application/json", "x-timestamp": String(ts), "x-signature": sig, "x-dev-now": `${DAY}T11:00:00+08:00` },
    }),
  );
  const moved = await until("subscribe_messages", (all) => all.some((m) => to(me.openid)(m) && m.template_id === "dev-tmpl-progress"));
  const progress = moved.find((m) => to(me.openid)(m) && m.template_id === "dev-tmpl-progress");
  assert.ok(progress, "a progress message");
  assert.equal(progress.data.phrase3.value, "审核中");
  assert.equal(progress.data.character_string2.value, appNo);
});

test("closing a day cancels its bookings by the hall and tells each applicant", async () => {
  const day = shanghaiDate(4);
  const hall = "gz-panyu";
  assertOk(
    await api("POST", "/v1/ops/schedules", {
      headers: ADMIN,
      body: { office_id: hall, date: day, periods: [{ period_id: "c-a", start: "09:00", end: "10:00", capacity: 5 }] },
    }),
  );
  const people = [await person("closed-a"), await person("closed-b")];
  const made = [];
  for (const p of people) {
    made.push(
      assertOk(
        await api("POST", "/v1/bookings", {
          token: p.token,
          headers: { "idempotency-key": `ntf-close-${process.pid}-${made.length}` },
          body: { applicant_id: p.applicantId, service: "passport", office_id: hall, date: day, period_id: "c-a", phone: "13600002222", pickup: { method: "collect" }, agree_terms: true },
        }),
        201,
      ),
    );
  }
  const closed = assertOk(
    await api("POST", `/v1/ops/offices/${hall}/days/${day}/close`, { headers: ADMIN, body: { reason: "设备检修暂停办理" } }),
  );
  assert.equal(closed.closed, true);
  assert.deepEqual([...closed.booking_nos].sort(), made.map((b) => b.booking_no).sort());
  for (const [i, p] of people.entries()) {
    assert.equal(assertOk(await api("GET", `/v1/bookings/${made[i].booking_no}`, { token: p.token })).status, "cancelled");
  }
  const view = assertOk(await api("GET", `/v1/ops/offices/${hall}/days/${day}`, { headers: ADMIN }));
  assert.deepEqual(view.periods, [], "the day is empty");
  const sent = await until("subscribe_messages", (all) => people.every((p) => all.some((m) => to(p.openid)(m) && m.template_id === "dev-tmpl-day-closed")));
  for (const p of people) assert.ok(sent.some((m) => to(p.openid)(m) && m.template_id === "dev-tmpl-day-closed"), p.openid);
  // Closing again finds nothing more to do.
  const again = assertOk(await api("POST", `/v1/ops/offices/${hall}/days/${day}/close`, { headers: ADMIN, body: { reason: "设备检修暂停办理" } }));
  assert.equal(again.cancelled, 0);
});

test("a parent who booked for their child is reminded and told when the hall closes the day", async () => {
  const day = shanghaiDate(5);
  const hall = "gz-panyu";
  assertOk(
    await api("POST", "/v1/ops/schedules", {
      headers: ADMIN,
      body: { office_id: hall, date: day, periods: [{ period_id: "k-a", start: "14:00", end: "15:00", capacity: 5 }] },
    }),
  );
  const parent = await person("parent");
  // The child has no account of their own: the parent is the only one who can be told.
  const childNo = idNumber(`${new Date().getUTCFullYear() - 8}0606`, (process.pid + 7) % 1000, "350102");
  const child = assertOk(
    await api("POST", "/v1/applicants", { token: parent.token, body: { name: "林小宝", id_number: childNo, relation: "child" } }),
    201,
  ).applicant.applicant_id;
  const b = assertOk(
    await api("POST", "/v1/bookings", {
      token: parent.token,
      headers: { "idempotency-key": `ntf-child-${process.pid}` },
      body: { applicant_id: child, service: "passport", office_id: hall, date: day, period_id: "k-a", phone: "13600002222", pickup: { method: "collect" }, agree_terms: true },
    }),
    201,
  );
  const mine = (template) => (m) => to(parent.openid)(m) && m.template_id === template;

  const eve = { "x-dev-now": `${shanghaiDate(4)}T20:00:00+08:00` };
  assertOk(await api("POST", "/v1/ops/jobs/reminders", { headers: { ...ADMIN, ...eve } }));
  const reminded = await until("subscribe_messages", (all) => all.some(mine("dev-tmpl-reminder")));
  const reminder = reminded.find(mine("dev-tmpl-reminder"));
  assert.ok(reminder, "the parent gets the child's reminder");
  assert.equal(reminder.data.time3.value, `${day} 14:00~15:00`);

  const closed = assertOk(await api("POST", `/v1/ops/offices/${hall}/days/${day}/close`, { headers: ADMIN, body: { reason: "系统升级暂停办理" } }));
  assert.ok(closed.booking_nos.includes(b.booking_no));
  const told = await until("subscribe_messages", (all) => all.some(mine("dev-tmpl-day-closed")));
  assert.ok(told.some(mine("dev-tmpl-day-closed")), "and the closed day");
});

test("a wave of bookings, confirmed in queue batches: each booking's account is told exactly once", async () => {
  const people = await Promise.all(Array.from({ length: 12 }, (_, i) => person(`wave-${i}`)));
  const made = await Promise.all(people.map((p) => book(p)));
  const confirmed = (p) => (m) => to(p.openid)(m) && m.template_id === "dev-tmpl-confirmed";
  await until("subscribe_messages", (all) => people.every((p) => all.some(confirmed(p))));
  await new Promise((r) => setTimeout(r, 1500)); // room for a wrong second message to show up
  const all = await records("subscribe_messages");
  people.forEach((p, i) => {
    const mine = all.filter(confirmed(p));
    assert.equal(mine.length, 1, `${p.openid}: ${mine.length} confirmations`);
    assert.equal(mine[0].data.character_string4.value, made[i].booking_no);
  });
});
