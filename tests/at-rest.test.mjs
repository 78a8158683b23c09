// Personal data at rest: after a journey that stores every kind of it (a resident's name and ID
// number, a foreigner's name and passport number, a principal added by a helper, a bound phone, a
// booking's phone and mail address, a waitlist entry's, the messages it sends), no file of the
// stack's state (D1, KV, Durable Objects, each with its journal) holds any of those values in
// clear.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { api, assertOk, idNumber, loginIdentified, loginWechat, publish, shanghaiDate, subscribe, until } from "./helpers.mjs";

const STATE = process.env.YUYUE_STATE_DIR;
// A hall and day no other file of the suite publishes (publishing replaces a day's periods).
const OFFICE = "gz-panyu";
const tag = String(process.pid).padStart(7, "0").slice(-7);

/** Every file under `dir`, recursively. */
function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** The values of `secrets` found in clear in any state file, as "kind in file". */
function inClear(secrets) {
  const found = [];
  for (const file of files(STATE)) {
    const bytes = readFileSync(file);
    for (const [kind, value] of Object.entries(secrets)) {
      if (bytes.includes(Buffer.from(value, "utf8"))) found.push(`${kind} (${value}) in ${file.slice(STATE.length)}`);
    }
  }
  return found;
}

test("no name, ID or passport number, phone or address is stored in clear", async () => {
  assert.ok(STATE, "YUYUE_STATE_DIR is set by scripts/with-stack.mjs");
  const date = shanghaiDate(2);
  await publish(OFFICE, date, [
    { period_id: "rest-a", start: "09:00", end: "10:00", capacity: 5 },
    // Full from the start: a waitlist entry for it keeps its own phone and address.
    { period_id: "rest-w", start: "10:00", end: "11:00", capacity: 0 },
  ]);
  const secrets = {
    "resident name": "欧阳静怡",
    "resident ID": idNumber("19780506", Number(tag) % 997, "440104"),
    "principal name": "阿依古丽·买买提",
    "principal ID": idNumber("19450101", Number(tag) % 991, "650102"),
    "foreigner name": "WHITFIELD ROSALIND",
    passport: `K${tag}9`,
    "bound phone": `139${tag}1`,
    "booking phone": `137${tag}2`,
    address: `广州市越秀区静谧巷${tag}号`,
    "waitlist phone": `136${tag}3`,
    "waitlist address": `广州市番禺区候补街${tag}号`,
  };

  const me = await loginIdentified(`rest-${tag}`, secrets["resident ID"], secrets["resident name"]);
  await subscribe(`wx-rest-${tag}`);
  assertOk(await api("POST", "/v1/me/phone", { token: me.token, body: { code: `dev-${secrets["bound phone"]}` } }));
  const principal = assertOk(
    await api("POST", "/v1/applicants", {
      token: me.token,
      body: { name: secrets["principal name"], id_number: secrets["principal ID"], relation: "grandparent", verify_token: "dev-ok" },
    }),
    201,
  ).applicant;
  const foreigner = await loginWechat(`rest-f-${tag}`);
  assertOk(
    await api("POST", "/v1/me/identity", {
      token: foreigner.token,
      body: { name: secrets["foreigner name"], passport: { number: secrets.passport, nationality: "NZL" }, verify_token: "dev-ok" },
    }),
  );
  const booked = assertOk(
    await api("POST", "/v1/bookings", {
      token: me.token,
      headers: { "idempotency-key": `rest-${tag}-1` },
      body: {
        applicant_id: principal.applicant_id,
        service: "passport",
        office_id: OFFICE,
        date,
        period_id: "rest-a",
        phone: secrets["booking phone"],
        pickup: { method: "mail", address: secrets.address },
        agree_terms: true,
      },
    }),
    201,
  );
  assertOk(
    await api("POST", "/v1/waitlist", {
      token: me.token,
      headers: { "idempotency-key": `rest-${tag}-w` },
      body: {
        applicant_id: me.applicantId,
        service: "passport",
        office_id: OFFICE,
        date,
        period_ids: ["rest-w"],
        phone: secrets["waitlist phone"],
        pickup: { method: "mail", address: secrets["waitlist address"] },
      },
    }),
    201,
  );
  // The booking's messages were sent (and their deliveries recorded) before the files are read.
  const sent = await until("subscribe_messages", (all) => all.some((m) => JSON.stringify(m).includes(booked.booking_no)));
  assert.ok(sent.some((m) => JSON.stringify(m).includes(booked.booking_no)), "the confirmation was sent");
  // Every value is still given back whole where it must be: the booking opens its sealed fields.
  const mine = assertOk(await api("GET", `/v1/bookings/${booked.booking_no}`, { token: me.token }));
  assert.equal(mine.phone, `137****${secrets["booking phone"].slice(-4)}`);

  assert.deepEqual(inClear(secrets), []);
});
