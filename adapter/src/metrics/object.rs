//! The metrics object: every function's answer counts by minute, kept a day. Only the objects
//! Worker hosts it (`metrics-object` feature); every function sends it batches.

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State};
use yuyue_shared::ops::metrics::Observations;

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS counts (
        minute INTEGER NOT NULL, function TEXT NOT NULL, code TEXT NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (minute, function, code))",
    "CREATE TABLE IF NOT EXISTS latency (
        minute INTEGER NOT NULL, function TEXT NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (minute, function, bucket))",
];

const KEEP_MINUTES: i64 = 24 * 60;

#[durable_object]
pub struct Metrics {
    sql: SqlStorage,
}

fn minute_now() -> i64 {
    worker::Date::now().as_millis() as i64 / 60_000
}

impl Metrics {
    fn exec(&self, sql: &str, args: Vec<JsValue>) -> Result<()> {
        self.sql.exec_raw(sql, args).map(|_| ())
    }

    fn observe(&self, o: &Observations) -> Result<()> {
        let minute = JsValue::from_f64(minute_now() as f64);
        for (code, n) in &o.codes {
            self.exec(
                "INSERT INTO counts (minute, function, code, n) VALUES (?, ?, ?, ?)
                 ON CONFLICT (minute, function, code) DO UPDATE SET n = n + excluded.n",
                vec![
                    minute.clone(),
                    o.function.as_str().into(),
                    code.as_str().into(),
                    JsValue::from_f64(*n as f64),
                ],
            )?;
        }
        for (bucket, n) in o.latency.iter().enumerate().filter(|(_, n)| **n > 0) {
            self.exec(
                "INSERT INTO latency (minute, function, bucket, n) VALUES (?, ?, ?, ?)
                 ON CONFLICT (minute, function, bucket) DO UPDATE SET n = n + excluded.n",
                vec![
                    minute.clone(),
                    o.function.as_str().into(),
                    JsValue::from_f64(bucket as f64),
                    JsValue::from_f64(*n as f64),
                ],
            )?;
        }
        let old = JsValue::from_f64((minute_now() - KEEP_MINUTES) as f64);
        self.exec("DELETE FROM counts WHERE minute < ?", vec![old.clone()])?;
        self.exec("DELETE FROM latency WHERE minute < ?", vec![old])
    }

    fn read(&self, minutes: u32) -> Result<Vec<Observations>> {
        #[derive(Deserialize)]
        struct Count {
            function: String,
            code: String,
            n: f64,
        }
        #[derive(Deserialize)]
        struct Bucket {
            function: String,
            bucket: f64,
            n: f64,
        }
        let from = JsValue::from_f64((minute_now() - i64::from(minutes) + 1) as f64);
        let counts: Vec<Count> = self
            .sql
            .exec_raw(
                "SELECT function, code, sum(n) AS n FROM counts WHERE minute >= ? GROUP BY function, code",
                vec![from.clone()],
            )?
            .to_array()?;
        let buckets: Vec<Bucket> = self
            .sql
            .exec_raw(
                "SELECT function, bucket, sum(n) AS n FROM latency WHERE minute >= ? GROUP BY function, bucket",
                vec![from],
            )?
            .to_array()?;
        let mut out: Vec<Observations> = Vec::new();
        let mut of = |f: &str| -> usize {
            match out.iter().position(|o| o.function == f) {
                Some(i) => i,
                None => {
                    out.push(Observations::new(f));
                    out.len() - 1
                }
            }
        };
        let mut indexed: Vec<(usize, Count)> = Vec::new();
        for c in counts {
            indexed.push((of(&c.function), c));
        }
        let mut indexed_buckets: Vec<(usize, Bucket)> = Vec::new();
        for b in buckets {
            indexed_buckets.push((of(&b.function), b));
        }
        for (i, c) in indexed {
            out[i].codes.insert(c.code, c.n as u64);
        }
        for (i, b) in indexed_buckets {
            if let Some(slot) = out[i].latency.get_mut(b.bucket as usize) {
                *slot = b.n as u64;
            }
        }
        Ok(out)
    }
}

impl Metrics {
    /// One function's answers minute by minute: (minute, code, count), oldest first.
    fn series(&self, function: &str, minutes: u32) -> Result<Vec<(i64, String, u64)>> {
        #[derive(Deserialize)]
        struct Row {
            minute: f64,
            code: String,
            n: f64,
        }
        let from = JsValue::from_f64((minute_now() - i64::from(minutes) + 1) as f64);
        let rows: Vec<Row> = self
            .sql
            .exec_raw(
                "SELECT minute, code, n FROM counts WHERE function = ? AND minute >= ? ORDER BY minute",
                vec![function.into(), from],
            )?
            .to_array()?;
        Ok(rows
            .into_iter()
            .map(|r| (r.minute as i64, r.code, r.n as u64))
            .collect())
    }
}

impl DurableObject for Metrics {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        for stmt in SCHEMA {
            sql.exec(stmt, None).expect("metrics schema");
        }
        Metrics { sql }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match req.path().as_str() {
            "/observe" => {
                let o: Observations = crate::object_call::read_json(&mut req).await?;
                self.observe(&o)?;
                Response::from_json(&serde_json::json!({ "ok": true }))
            }
            "/read" => {
                #[derive(Deserialize)]
                struct Read {
                    minutes: u32,
                }
                let r: Read = crate::object_call::read_json(&mut req).await?;
                Response::from_json(&self.read(r.minutes.clamp(1, KEEP_MINUTES as u32))?)
            }
            "/series" => {
                #[derive(Deserialize)]
                struct Series {
                    function: String,
                    minutes: u32,
                }
                let q: Series = crate::object_call::read_json(&mut req).await?;
                Response::from_json(
                    &self.series(&q.function, q.minutes.clamp(1, KEEP_MINUTES as u32))?,
                )
            }
            _ => Response::error("no such metrics operation", 404),
        }
    }
}
