-- The waitlist (候补): an entry waits for a full period's freed place; the inventory object of
-- its (office, date) keeps the order and serves it, and the entry's booking is written here with
-- the entry marked booked in the same transaction. The phone and a mail address are sealed like
-- a booking's (ID_SEAL_KEY, bound to this table, column and entry).
CREATE TABLE waitlist_entries (
  waitlist_id      TEXT PRIMARY KEY CHECK (waitlist_id GLOB 'w_*'),
  applicant_id     TEXT NOT NULL REFERENCES applicants (applicant_id),
  joined_by        TEXT NOT NULL REFERENCES users (user_id),
  service_id       TEXT NOT NULL REFERENCES services (service_id),
  office_id        TEXT NOT NULL REFERENCES offices (office_id),
  date             TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  period_ids       TEXT NOT NULL CHECK (json_valid(period_ids) AND json_array_length(period_ids) >= 1),
  phone            TEXT NOT NULL,
  phone_sealed     TEXT NOT NULL CHECK (phone_sealed GLOB 'v[1-9]*.*'),
  pickup_json      TEXT NOT NULL CHECK (json_valid(pickup_json)),
  photo_receipt_no TEXT,
  booking_no       TEXT NOT NULL UNIQUE CHECK (length(booking_no) = 12),
  fingerprint      TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('waiting', 'booked', 'expired', 'cancelled')),
  reason           TEXT CHECK (reason IS NULL OR length(reason) <= 64),
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  CHECK ((status = 'expired') = (reason IS NOT NULL))
);
-- One waiting entry per applicant and service, whatever raced to create it.
CREATE UNIQUE INDEX waitlist_one_waiting_per_service ON waitlist_entries (applicant_id, service_id)
  WHERE status = 'waiting';
CREATE INDEX waitlist_by_applicant ON waitlist_entries (applicant_id, created_at);

-- Only from waiting, and booked only with its booking in the record.
CREATE TRIGGER waitlist_leaves_waiting_once BEFORE UPDATE OF status ON waitlist_entries
WHEN OLD.status != 'waiting' AND NEW.status != OLD.status
BEGIN SELECT RAISE(ABORT, 'waitlist entry already settled'); END;
CREATE TRIGGER waitlist_booked_has_booking BEFORE UPDATE OF status ON waitlist_entries
WHEN NEW.status = 'booked'
 AND NOT EXISTS (SELECT 1 FROM bookings WHERE booking_no = NEW.booking_no AND applicant_id = NEW.applicant_id)
BEGIN SELECT RAISE(ABORT, 'waitlist entry booked without its booking'); END;
