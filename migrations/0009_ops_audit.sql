-- Every ops call (hall staff, admins, the processing system's webhooks, cron) with its outcome.
CREATE TABLE ops_audit (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  actor      TEXT NOT NULL,
  role       TEXT NOT NULL CHECK (role IN ('admin', 'hall', 'webhook', 'cron')),
  action     TEXT NOT NULL,
  target     TEXT,
  outcome    TEXT NOT NULL,
  request_id TEXT NOT NULL,
  at         TEXT NOT NULL
);
CREATE INDEX ops_audit_by_time ON ops_audit (at);
