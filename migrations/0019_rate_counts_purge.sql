-- Finished rate-limit windows are dropped when a new window's row is written, by this trigger,
-- instead of by a statement of every request that counts (a submit's read batch had three
-- statements for its counts; now one). A row whose window ended before the new row's began is
-- over whatever the clock says; an upsert that only adds to a window's count fires no INSERT
-- trigger, so the purge runs once per key and window, not once per hit. (The body stays on one
-- line: scripts/migrate.mjs splits statements at semicolons that end a line.)
CREATE TRIGGER rate_counts_purge AFTER INSERT ON rate_counts
BEGIN DELETE FROM rate_counts WHERE expires_at <= NEW.window_start; END;
