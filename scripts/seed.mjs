// Demo data for the local stack: the demo halls and schedules for today and the next days of the
// booking window, over the reference data (cities, services with their guides, the holiday
// calendar, the default rules) that migration 0014 gives every deployment. The reference rows are
// upserted here too, so a local state made before a change to shared/data/reference.json follows it.
// Idempotent: reference rows are upserted, and schedule days already published are left alone, so a
// restart with persisted state only adds the days that have come into range.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./config.mjs";

const load = (path) => JSON.parse(readFileSync(join(ROOT, path), "utf8"));

export function shanghaiDate(ms, plusDays = 0) {
  return new Date(ms + 8 * 3600_000 + plusDays * 86_400_000).toISOString().slice(0, 10);
}

/** ISO weekday 1 (Monday) .. 7 (Sunday) of a YYYY-MM-DD date. */
function isoWeekday(date) {
  const d = new Date(date + "T00:00:00Z").getUTCDay();
  return d === 0 ? 7 : d;
}

export async function seed(db, { now = Date.now() } = {}) {
  const demo = load("dev/seed/demo.json");
  const reference = load("shared/data/reference.json");
  const calendar = load("shared/data/calendar-cn.json");
  const rules = load("shared/data/rules-default.json");
  const stamp = new Date(now).toISOString();
  const stmts = [];

  for (const c of reference.cities) {
    stmts.push(
      db.prepare(
        "INSERT INTO cities (city_id, name, province, sort) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (city_id) DO UPDATE SET name = ?2, province = ?3, sort = ?4",
      ).bind(c.city_id, c.name, c.province, c.sort),
    );
  }
  for (const s of reference.services) {
    stmts.push(
      db.prepare(
        `INSERT INTO services (service_id, name, fee_fen, processing_working_days, guide_json, sort, updated_at, name_en, guide_en_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (service_id) DO UPDATE SET name = ?2, fee_fen = ?3, processing_working_days = ?4, guide_json = ?5, sort = ?6, updated_at = ?7, name_en = ?8, guide_en_json = ?9`,
      ).bind(
        s.service_id,
        s.name,
        s.fee_fen,
        s.processing_working_days,
        JSON.stringify(s.guide),
        s.sort,
        stamp,
        s.name_en ?? "",
        JSON.stringify(s.guide_en ?? {}),
      ),
    );
  }
  for (const o of demo.offices) {
    stmts.push(
      db.prepare(
        `INSERT INTO offices (office_id, city_id, name, district, address, phone, opening_hours, requires_photo_receipt, lat, lng, active, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11)
         ON CONFLICT (office_id) DO NOTHING`,
      ).bind(o.office_id, o.city_id, o.name, o.district, o.address, o.phone, o.opening_hours, o.requires_photo_receipt ? 1 : 0, o.lat, o.lng, stamp),
    );
    for (const s of o.services) {
      stmts.push(
        db.prepare("INSERT OR IGNORE INTO office_services (office_id, service_id) VALUES (?1, ?2)").bind(o.office_id, s),
      );
    }
    // The usual week the release job publishes from; ops changes to it survive a restart.
    stmts.push(
      db.prepare(
        "INSERT OR IGNORE INTO schedule_templates (office_id, open_weekdays, periods_json, updated_at) VALUES (?1, ?2, ?3, ?4)",
      ).bind(o.office_id, JSON.stringify(o.open_weekdays), JSON.stringify(demo.period_template), stamp),
    );
  }
  for (const [date, name] of calendar.holidays) {
    stmts.push(db.prepare("INSERT OR IGNORE INTO calendar_days (date, kind, name) VALUES (?1, 'holiday', ?2)").bind(date, name));
  }
  for (const [date, name] of calendar.makeup_workdays) {
    stmts.push(db.prepare("INSERT OR IGNORE INTO calendar_days (date, kind, name) VALUES (?1, 'makeup_workday', ?2)").bind(date, name));
  }
  stmts.push(
    db.prepare("INSERT OR IGNORE INTO rules (version, body_json, created_at, created_by) VALUES (?1, ?2, ?3, 'seed')").bind(
      rules.version,
      JSON.stringify(rules),
      stamp,
    ),
  );

  const holidays = new Set(calendar.holidays.map(([d]) => d));
  const makeup = new Set(calendar.makeup_workdays.map(([d]) => d));
  for (let i = 0; i <= demo.schedule_days_ahead; i++) {
    const date = shanghaiDate(now, i);
    for (const o of demo.offices) {
      const open = makeup.has(date) || (!holidays.has(date) && o.open_weekdays.includes(isoWeekday(date)));
      if (!open) continue;
      for (const p of demo.period_template) {
        stmts.push(
          db.prepare(
            `INSERT OR IGNORE INTO schedule_periods (office_id, date, period_id, start_time, end_time, capacity, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
          ).bind(o.office_id, date, p.period_id, p.start, p.end, p.capacity, stamp),
        );
      }
    }
  }
  // D1 batches are transactions; keep each well under the statement limit.
  for (let i = 0; i < stmts.length; i += 200) await db.batch(stmts.slice(i, i + 200));
  return { statements: stmts.length };
}
