-- Catalog: cities, halls (offices), services with their guides, which hall offers which service,
-- and the published schedule (periods with capacity). Capacity here is what ops published; the
-- per-(hall, date) inventory object is the authority for what has been taken.

CREATE TABLE cities (
  city_id   TEXT PRIMARY KEY CHECK (city_id GLOB '[a-z]*' AND length(city_id) BETWEEN 2 AND 20),
  name      TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 20),
  province  TEXT NOT NULL,
  sort      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE services (
  service_id TEXT PRIMARY KEY CHECK (service_id IN ('passport', 'hk_macau_permit', 'taiwan_permit',
    'visa_extension', 'visa_renewal', 'visa_reissue', 'residence_permit', 'id_card')),
  name                     TEXT NOT NULL,
  fee_fen                  INTEGER NOT NULL CHECK (fee_fen >= 0),
  processing_working_days  INTEGER NOT NULL CHECK (processing_working_days BETWEEN 1 AND 60),
  -- The full guide (materials, procedure, pickup options, photo rules) as a JSON document.
  guide_json               TEXT NOT NULL CHECK (json_valid(guide_json)),
  sort                     INTEGER NOT NULL DEFAULT 0,
  updated_at               TEXT NOT NULL
);

CREATE TABLE offices (
  office_id              TEXT PRIMARY KEY CHECK (length(office_id) BETWEEN 3 AND 40),
  city_id                TEXT NOT NULL REFERENCES cities (city_id),
  name                   TEXT NOT NULL,
  district               TEXT NOT NULL,
  address                TEXT NOT NULL,
  phone                  TEXT NOT NULL,
  opening_hours          TEXT NOT NULL,
  requires_photo_receipt INTEGER NOT NULL DEFAULT 0 CHECK (requires_photo_receipt IN (0, 1)),
  lat                    REAL CHECK (lat IS NULL OR lat BETWEEN -90 AND 90),
  lng                    REAL CHECK (lng IS NULL OR lng BETWEEN -180 AND 180),
  active                 INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  updated_at             TEXT NOT NULL
);
CREATE INDEX offices_by_city ON offices (city_id, office_id);

CREATE TABLE office_services (
  office_id  TEXT NOT NULL REFERENCES offices (office_id),
  service_id TEXT NOT NULL REFERENCES services (service_id),
  PRIMARY KEY (office_id, service_id)
) WITHOUT ROWID;
CREATE INDEX office_services_by_service ON office_services (service_id, office_id);

CREATE TABLE schedule_periods (
  office_id  TEXT NOT NULL REFERENCES offices (office_id),
  date       TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  period_id  TEXT NOT NULL CHECK (length(period_id) BETWEEN 1 AND 16),
  start_time TEXT NOT NULL CHECK (start_time GLOB '[0-2][0-9]:[0-5][0-9]'),
  end_time   TEXT NOT NULL CHECK (end_time GLOB '[0-2][0-9]:[0-5][0-9]'),
  capacity   INTEGER NOT NULL CHECK (capacity BETWEEN 0 AND 10000),
  updated_at TEXT NOT NULL,
  PRIMARY KEY (office_id, date, period_id),
  CHECK (start_time < end_time)
) WITHOUT ROWID;

-- Business rules as data: each change is a new version; the highest version is in force.
CREATE TABLE rules (
  version    INTEGER PRIMARY KEY CHECK (version >= 1),
  body_json  TEXT NOT NULL CHECK (json_valid(body_json)),
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);

-- Public holidays and make-up working days (调休); weekdays and weekends follow from the date.
CREATE TABLE calendar_days (
  date TEXT PRIMARY KEY CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  kind TEXT NOT NULL CHECK (kind IN ('holiday', 'makeup_workday')),
  name TEXT NOT NULL
) WITHOUT ROWID;
