// The same storm spread over 50 halls (issue 6: "no global hot spot"): the same number of
// people and submits as `storm`, person i submitting to hall i % 50, each hall's period of
// capacity 2, so still exactly 100 bookings in all. Compared per request with `storm` in the
// same run: it should be no slower.
//
// The demo seed has 14 halls; the other 36 (bench-hall-01..36, Shenzhen, offering passport and
// hk_macau_permit) are inserted into the local D1 through Miniflare in `prepare`, which the
// harness runs right after the stack starts, before any scenario sends a request: a function
// that reads the catalog caches it per isolate for 30 s, and would not see halls inserted after
// its first read for that long.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stormScenario, TOTAL_CAPACITY } from "../lib/storm.mjs";

const HALLS = 50;
const CATALOG_TTL_MS = 30_000; // adapter/src/catalog_cache.rs TTL_MS
const SEEDED = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "dev", "seed", "demo.json"), "utf8"))
  .offices.filter((o) => o.services.includes("passport"))
  .map((o) => o.office_id);
const EXTRA = Array.from({ length: HALLS - SEEDED.length }, (_, k) => `bench-hall-${String(k + 1).padStart(2, "0")}`);
const ALL = [...SEEDED, ...EXTRA];
// Every seeded hall is one of the 50, so the warm-up storm books at a hall of its own.
const WARM_HALL = "bench-hall-00";

let insertedAt = null;

/** The D1 every function binds as DB (scripts/stack.mjs seeds it through the catalog Worker). */
const catalogDb = (stack) => stack.mf.getD1Database("DB", "yuyue-catalog");

async function insertHalls(stack) {
  const db = await catalogDb(stack);
  const stamp = new Date().toISOString();
  const stmts = [];
  [WARM_HALL, ...EXTRA].forEach((office, k) => {
    stmts.push(
      db.prepare(
        `INSERT INTO offices (office_id, city_id, name, district, address, phone, opening_hours, requires_photo_receipt, lat, lng, active, updated_at)
         VALUES (?1, 'sz', ?2, '福田区', ?3, '0755-83000000', '周一至周日 09:00-17:00', 0, NULL, NULL, 1, ?4)
         ON CONFLICT (office_id) DO NOTHING`,
      ).bind(office, `压测大厅${k}号`, `福田区压测路${k}号`, stamp),
    );
    for (const service of ["passport", "hk_macau_permit"]) {
      stmts.push(db.prepare("INSERT OR IGNORE INTO office_services (office_id, service_id) VALUES (?1, ?2)").bind(office, service));
    }
  });
  await db.batch(stmts);
  insertedAt = Date.now();
}

async function halls(stack, ctx) {
  if (insertedAt === null) {
    // Run without the harness's prepare step: some function may already have cached the catalog.
    await insertHalls(stack);
    ctx.say(`storm-50: halls inserted late; waiting ${CATALOG_TTL_MS / 1000 + 1} s for per-isolate catalog caches`);
    await new Promise((r) => setTimeout(r, CATALOG_TTL_MS + 1000));
  }
  const db = await catalogDb(stack);
  const marks = ALL.map((_, k) => `?${k + 1}`).join(", ");
  const row = await db
    .prepare(`SELECT count(*) AS n FROM offices o JOIN office_services s ON s.office_id = o.office_id AND s.service_id = 'passport' WHERE o.active = 1 AND o.office_id IN (${marks})`)
    .bind(...ALL)
    .first();
  if (row?.n !== HALLS) throw new Error(`storm-50: ${row?.n} of the ${HALLS} halls are in D1 offering passport`);
  return ALL;
}

export default stormScenario({
  name: "storm-50",
  description: `the storm spread over ${HALLS} halls (capacity ${TOTAL_CAPACITY / HALLS} each, person i at hall i % ${HALLS}), 50 connections: 100 x 201 in all`,
  prepare: insertHalls,
  halls,
  compareTo: "storm",
  dateSlot: 3, // normally 4 days ahead; never storm's date
  periodId: "bench-storm50",
  // Applicants of their own, not storm's: Shenzhen Luohu ID numbers, client addresses 198.19.x.y.
  people: { tag: "bench-storm50", net: 1, region: "440303", seq: 22 },
  warm: { hall: WARM_HALL, people: { tag: "bench-storm50-warm", net: 3, region: "440306", seq: 24 } },
});
