-- One row per (event, account) a notification was meant for: claimed before the provider is
-- called, so a message is never sent twice however often the queue delivers the notice. A
-- `retry` row may be claimed again; every other status is final.
CREATE TABLE notifications (
  event_id   TEXT NOT NULL CHECK (length(event_id) BETWEEN 3 AND 120),
  user_id    TEXT NOT NULL REFERENCES users (user_id),
  kind       TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'no_subscription', 'not_configured', 'retry', 'failed')),
  attempts   INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  detail     TEXT CHECK (detail IS NULL OR length(detail) <= 200),
  updated_at TEXT NOT NULL,
  PRIMARY KEY (event_id, user_id)
) WITHOUT ROWID;
CREATE INDEX notifications_by_status ON notifications (status, updated_at);
