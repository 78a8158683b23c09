-- Users, sessions, applicants and the links that let a helper act for them, bookings with their
-- idempotency records, applications, issued documents and the audit trail. The constraints here
-- are the last line behind the invariants: one account per (platform, openid), one bound account
-- per identity and platform, one active booking per applicant and service, status columns that
-- agree with their timestamps.

CREATE TABLE applicants (
  applicant_id TEXT PRIMARY KEY,
  name         TEXT NOT NULL CHECK (length(name) BETWEEN 2 AND 60),
  doc_kind     TEXT NOT NULL CHECK (doc_kind IN ('id_card', 'foreign_passport')),
  -- Keyed hash of the whole number: finds and deduplicates a person without storing it in clear.
  doc_hash     TEXT NOT NULL UNIQUE,
  doc_masked   TEXT NOT NULL,
  -- The whole number encrypted (AES-256-GCM), for the places that must send it on.
  doc_sealed   TEXT NOT NULL,
  nationality  TEXT CHECK (nationality IS NULL OR length(nationality) = 3),
  birth_date   TEXT CHECK (birth_date IS NULL OR birth_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  created_at   TEXT NOT NULL
);

CREATE TABLE users (
  user_id      TEXT PRIMARY KEY,
  platform     TEXT NOT NULL CHECK (platform IN ('wechat', 'alipay')),
  openid       TEXT NOT NULL CHECK (length(openid) BETWEEN 1 AND 128),
  unionid      TEXT,
  phone        TEXT CHECK (phone IS NULL OR (length(phone) = 11 AND phone GLOB '1[3-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]')),
  applicant_id TEXT REFERENCES applicants (applicant_id),
  created_at   TEXT NOT NULL,
  UNIQUE (platform, openid)
);
-- One identity is bound to at most one account per platform.
CREATE UNIQUE INDEX users_one_account_per_identity ON users (platform, applicant_id)
  WHERE applicant_id IS NOT NULL;

-- Real-name binding attempts, including refused ones (a second account claiming an identity).
CREATE TABLE identity_attempts (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id    TEXT NOT NULL REFERENCES users (user_id),
  doc_hash   TEXT NOT NULL,
  outcome    TEXT NOT NULL CHECK (outcome IN ('bound', 'verification_failed', 'already_bound_elsewhere', 'mismatch')),
  request_id TEXT NOT NULL,
  at         TEXT NOT NULL
);
CREATE INDEX identity_attempts_by_user ON identity_attempts (user_id, at);

CREATE TABLE sessions (
  session_id   TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users (user_id),
  family       TEXT NOT NULL,
  refresh_hash TEXT NOT NULL UNIQUE,
  expires_at   TEXT NOT NULL,
  rotated_at   TEXT,
  revoked_at   TEXT,
  created_at   TEXT NOT NULL
);
CREATE INDEX sessions_by_family ON sessions (family);

CREATE TABLE links (
  helper_user_id        TEXT NOT NULL REFERENCES users (user_id),
  applicant_id          TEXT NOT NULL REFERENCES applicants (applicant_id),
  relation              TEXT NOT NULL CHECK (relation IN ('self', 'parent', 'child', 'spouse', 'grandparent', 'grandchild', 'sibling', 'guardian', 'relative')),
  status                TEXT NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
  consent               TEXT NOT NULL CHECK (consent IN ('own', 'guardian', 'face_verified', 'invitation', 'none')),
  invitation_hash       TEXT UNIQUE,
  invitation_expires_at TEXT,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  PRIMARY KEY (helper_user_id, applicant_id),
  CHECK ((relation = 'self') = (consent = 'own'))
) WITHOUT ROWID;
CREATE INDEX links_by_applicant ON links (applicant_id, status);

CREATE TABLE bookings (
  booking_no       TEXT PRIMARY KEY CHECK (length(booking_no) = 12),
  applicant_id     TEXT NOT NULL REFERENCES applicants (applicant_id),
  booked_by        TEXT NOT NULL REFERENCES users (user_id),
  service_id       TEXT NOT NULL REFERENCES services (service_id),
  office_id        TEXT NOT NULL REFERENCES offices (office_id),
  date             TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  period_id        TEXT NOT NULL,
  start_time       TEXT NOT NULL,
  end_time         TEXT NOT NULL,
  phone            TEXT NOT NULL CHECK (length(phone) = 11),
  pickup_json      TEXT NOT NULL CHECK (json_valid(pickup_json)),
  photo_receipt_no TEXT,
  status           TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'checked_in', 'no_show')),
  created_at       TEXT NOT NULL,
  cancelled_at     TEXT,
  cancelled_by     TEXT,
  cancel_reason    TEXT CHECK (cancel_reason IS NULL OR length(cancel_reason) <= 200),
  checked_in_at    TEXT,
  CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
  CHECK ((status = 'checked_in') = (checked_in_at IS NOT NULL))
);
-- One active booking per applicant and service, whatever raced to create it.
CREATE UNIQUE INDEX bookings_one_active_per_service ON bookings (applicant_id, service_id)
  WHERE status = 'booked';
CREATE INDEX bookings_by_applicant ON bookings (applicant_id, created_at);
CREATE INDEX bookings_by_day ON bookings (office_id, date, status);
CREATE INDEX bookings_by_date_status ON bookings (date, status);

CREATE TABLE idempotency_keys (
  user_id       TEXT NOT NULL REFERENCES users (user_id),
  idem_key      TEXT NOT NULL CHECK (length(idem_key) BETWEEN 8 AND 128),
  fingerprint   TEXT NOT NULL,
  booking_no    TEXT NOT NULL,
  status        INTEGER NOT NULL,
  response_json TEXT NOT NULL CHECK (json_valid(response_json)),
  created_at    TEXT NOT NULL,
  PRIMARY KEY (user_id, idem_key)
) WITHOUT ROWID;

CREATE TABLE applications (
  application_no  TEXT PRIMARY KEY CHECK (length(application_no) = 18),
  booking_no      TEXT NOT NULL UNIQUE REFERENCES bookings (booking_no),
  applicant_id    TEXT NOT NULL REFERENCES applicants (applicant_id),
  service_id      TEXT NOT NULL REFERENCES services (service_id),
  office_id       TEXT NOT NULL REFERENCES offices (office_id),
  status          TEXT NOT NULL CHECK (status IN ('accepted', 'reviewing', 'producing', 'ready', 'mailed', 'collected', 'rejected')),
  timeline_json   TEXT NOT NULL CHECK (json_valid(timeline_json)),
  estimated_ready TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX applications_by_applicant ON applications (applicant_id, updated_at);

CREATE TABLE documents (
  document_id   TEXT PRIMARY KEY,
  applicant_id  TEXT NOT NULL REFERENCES applicants (applicant_id),
  service_id    TEXT NOT NULL REFERENCES services (service_id),
  number_masked TEXT NOT NULL,
  issued_on     TEXT NOT NULL,
  valid_until   TEXT NOT NULL,
  CHECK (valid_until > issued_on)
);
CREATE INDEX documents_by_applicant ON documents (applicant_id, valid_until);

CREATE TABLE audit_log (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  actor_kind   TEXT NOT NULL CHECK (actor_kind IN ('user', 'ops', 'system')),
  actor_id     TEXT,
  subject      TEXT NOT NULL,
  action       TEXT NOT NULL,
  target       TEXT,
  request_id   TEXT NOT NULL,
  at           TEXT NOT NULL
);
CREATE INDEX audit_by_subject ON audit_log (subject, at);
