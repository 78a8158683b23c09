-- Rate-limit counts kept in the record (yuyue_shared::store::Counters): the booking submit's
-- limits per user and per client address, counted in the batch that reads the submit's facts
-- (no round trip of their own), and the cancels that count against the per-user one. One row
-- per key and window; `row_key` is a digest of the limit's key (no user id or address in clear).
-- Finished windows are deleted as hits arrive (`expires_at`, the window's end, unix ms).
CREATE TABLE rate_counts (
  row_key TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  count INTEGER NOT NULL CHECK (count >= 1),
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (row_key, window_start)
) WITHOUT ROWID;
CREATE INDEX rate_counts_by_expiry ON rate_counts (expires_at);
