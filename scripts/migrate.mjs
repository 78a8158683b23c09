// Applies migrations/NNNN_*.sql in order, once each, recording them in the same `d1_migrations`
// table `wrangler d1 migrations apply` uses, so a local database and a deployed one agree on what
// has been applied.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export async function applyMigrations(db, dir) {
  await db.exec(
    "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
  );
  const done = new Set(
    (await db.prepare("SELECT name FROM d1_migrations").all()).results.map((r) => r.name),
  );
  const files = readdirSync(dir).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort();
  const applied = [];
  for (const file of files) {
    if (done.has(file)) continue;
    const statements = splitSql(readFileSync(join(dir, file), "utf8"));
    await db.batch([
      ...statements.map((s) => db.prepare(s)),
      db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").bind(file),
    ]);
    applied.push(file);
  }
  return applied;
}

/** Splits on semicolons at line ends, outside of comments; our migrations keep to that shape. */
export function splitSql(text) {
  const withoutComments = text
    .split("\n")
    .filter((l) => !l.trim().startsWith("--"))
    .join("\n");
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}
