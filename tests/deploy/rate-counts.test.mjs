// The rate-limit counts in the record (migrations 0018 and 0019) on a database made by the
// migrations: the statement the adapter counts a request's hits with (adapter/src/d1/submit.rs,
// `count_sql`, whose text its unit test pins) answers each window's count, and a new window's
// row drops the finished ones.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { ROOT } from "../../scripts/config.mjs";
import { applyMigrations } from "../../scripts/migrate.mjs";

const COUNT =
  "INSERT INTO rate_counts (row_key, window_start, count, expires_at) VALUES (?1, ?2, 1, ?3), (?4, ?5, 1, ?6) " +
  "ON CONFLICT (row_key, window_start) DO UPDATE SET count = count + 1 RETURNING row_key, count";

test("one statement counts a request's hits, and a new window drops the finished ones", async () => {
  const mf = new Miniflare({ modules: true, script: "export default {}", d1Databases: ["DB"] });
  try {
    const db = await mf.getD1Database("DB");
    await applyMigrations(db, join(ROOT, "migrations"));
    // A user's window is a minute and a client's a second, as the submit's limits have them.
    const count = async (user, client, atMs) => {
      const [u, c] = [atMs - (atMs % 60_000), atMs - (atMs % 1_000)];
      const { results } = await db.prepare(COUNT).bind(user, u, u + 60_000, client, c, c + 1_000).all();
      return Object.fromEntries(results.map((r) => [r.row_key, r.count]));
    };
    const keys = async () => (await db.prepare("SELECT row_key, window_start FROM rate_counts ORDER BY row_key").all()).results;

    assert.deepEqual(await count("u1", "c1", 0), { u1: 1, c1: 1 });
    assert.deepEqual(await count("u1", "c1", 0), { u1: 2, c1: 2 });
    assert.deepEqual(await count("u2", "c1", 0), { u2: 1, c1: 3 });
    assert.equal((await keys()).length, 3);

    const rows = async () => (await keys()).map((r) => `${r.row_key}@${r.window_start}`);
    // At 1.5 s the client's first second is over and goes as its next one starts; the users'
    // minutes go on counting.
    assert.deepEqual(await count("u1", "c1", 1_500), { u1: 3, c1: 1 });
    assert.deepEqual(await rows(), ["c1@1000", "u1@0", "u2@0"]);
    // At 60 s every window before is over, and all go with the first new row.
    assert.deepEqual(await count("u3", "c2", 60_000), { u3: 1, c2: 1 });
    assert.deepEqual(await rows(), ["c2@60000", "u3@60000"]);
  } finally {
    await mf.dispose();
  }
});
