// Production's reference data: migration 0014 is what shared/data gives (one source), every
// service has its English name and guide in the shape of its Chinese one, and a database made
// by the migrations alone has the cities, services, calendar and rules ops need to add a hall.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { ROOT } from "../../scripts/config.mjs";
import { MIGRATION, referenceData, referenceSql } from "../../scripts/reference.mjs";
import { applyMigrations } from "../../scripts/migrate.mjs";

const CJK = /[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/;
const SERVICES = ["passport", "hk_macau_permit", "taiwan_permit", "visa_extension", "visa_renewal", "visa_reissue", "residence_permit", "id_card"];

test("the reference migration is generated from shared/data and is current", () => {
  assert.equal(readFileSync(join(ROOT, MIGRATION), "utf8"), referenceSql(), "run node scripts/reference.mjs --write");
});

/** Same keys at every level and same array lengths; text may differ. */
function sameShape(a, b, at = "guide") {
  if (Array.isArray(a)) {
    assert.ok(Array.isArray(b) && a.length === b.length, `${at}: ${a.length} vs ${b?.length}`);
    a.forEach((x, i) => sameShape(x, b[i], `${at}[${i}]`));
  } else if (a && typeof a === "object") {
    assert.deepEqual(Object.keys(b ?? {}).sort(), Object.keys(a).sort(), at);
    for (const k of Object.keys(a)) sameShape(a[k], b[k], `${at}.${k}`);
  } else if (typeof a !== "string") {
    assert.equal(b, a, at);
  }
}

test("every service of the contract has its name and guide in both languages", () => {
  const { services } = referenceData();
  assert.deepEqual(services.map((s) => s.service_id).sort(), [...SERVICES].sort());
  for (const s of services) {
    assert.match(s.name, CJK, s.service_id);
    assert.ok(s.name_en && !CJK.test(s.name_en), `${s.service_id}: ${s.name_en}`);
    assert.doesNotMatch(JSON.stringify(s.guide_en), CJK, s.service_id);
    sameShape(s.guide, s.guide_en);
    for (const part of ["materials", "procedure"]) assert.ok(s.guide_en[part].length > 0, `${s.service_id}.${part}`);
  }
});

test("a database made by the migrations alone holds the reference data, and applying them again adds nothing", async () => {
  const mf = new Miniflare({ modules: true, script: "export default {}", d1Databases: ["DB"] });
  try {
    const db = await mf.getD1Database("DB");
    const applied = await applyMigrations(db, join(ROOT, "migrations"));
    assert.ok(applied.includes("0014_reference_data.sql"), applied.join(","));
    const count = async (sql) => (await db.prepare(sql).first()).n;
    const data = referenceData();
    assert.equal(await count("SELECT count(*) AS n FROM cities"), data.cities.length);
    assert.equal(await count("SELECT count(*) AS n FROM services WHERE name_en <> '' AND guide_en_json <> '{}'"), SERVICES.length);
    assert.equal(await count("SELECT count(*) AS n FROM calendar_days"), data.calendar.holidays.length + data.calendar.makeup_workdays.length);
    assert.equal(await count("SELECT count(*) AS n FROM rules WHERE version = 1"), 1);
    assert.equal(await count("SELECT count(*) AS n FROM offices"), 0, "the demo halls stay dev-only");
    const guide = await db.prepare("SELECT guide_en_json FROM services WHERE service_id = 'visa_extension'").first();
    assert.deepEqual(JSON.parse(guide.guide_en_json), data.services.find((s) => s.service_id === "visa_extension").guide_en);
    assert.deepEqual(await applyMigrations(db, join(ROOT, "migrations")), []);
  } finally {
    await mf.dispose();
  }
});
