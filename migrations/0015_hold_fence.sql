-- The fence between a booking's write and its hold's lapse (HoldRequest::write_by in shared):
-- the booking's transaction first writes here, and a write past its deadline by D1's own clock
-- puts NULL into this NOT NULL column, which refuses the whole transaction. One row, rewritten.
CREATE TABLE hold_fence (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  checked_at_ms INTEGER NOT NULL
);
