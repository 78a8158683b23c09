//! The `RateLimiter` Durable Object: one of a fixed set of shards (`yuyue_shared::ratelimit`),
//! holding the counts of the limit keys that hash to it, one row per key and window. An object
//! handles one request at a time and reads and writes a count without an `await` between, so
//! concurrent hits never lose an increment. Callers use `cx.rate_limit(&limit)`.

use serde::Deserialize;
use std::cell::Cell;
use worker::{
    durable_object, wasm_bindgen, DurableObject, Env, Request, Response, Result, SqlStorage, State,
};
use yuyue_adapter::object_call::read_json;
use yuyue_shared::ratelimit::Hit;

#[durable_object]
pub struct RateLimiter {
    sql: SqlStorage,
    table_ready: Cell<bool>,
}

#[derive(Deserialize)]
struct CountRow {
    count: f64,
}

impl RateLimiter {
    fn ensure_table(&self) -> Result<()> {
        if !self.table_ready.get() {
            self.sql.exec(
                "CREATE TABLE IF NOT EXISTS counters (key TEXT NOT NULL, window_start INTEGER NOT NULL, \
                   count INTEGER NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (key, window_start)) \
                 WITHOUT ROWID",
                None,
            )?;
            self.sql.exec(
                "CREATE INDEX IF NOT EXISTS counters_by_expiry ON counters (expires_at)",
                None,
            )?;
            self.table_ready.set(true);
        }
        Ok(())
    }
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        RateLimiter {
            sql: state.storage().sql(),
            table_ready: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let hit: Hit = match read_json(&mut req).await {
            Ok(hit) if Hit::is_valid(&hit) => hit,
            _ => return Response::error("invalid hit", 400),
        };
        self.ensure_table()?;
        // Finished windows of every key in this shard go as hits arrive, so a shard holds about
        // one row per key active in the current window.
        self.sql.exec(
            "DELETE FROM counters WHERE expires_at <= ?",
            vec![hit.now_ms.into()],
        )?;
        let row: CountRow = self
            .sql
            .exec(
                "INSERT INTO counters (key, window_start, count, expires_at) VALUES (?, ?, 1, ?) \
                 ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 RETURNING count",
                vec![
                    hit.key.as_str().into(),
                    hit.window_start_ms().into(),
                    hit.window_end_ms().into(),
                ],
            )?
            .one()?;
        Response::from_json(&hit.verdict(row.count as u32))
    }
}
