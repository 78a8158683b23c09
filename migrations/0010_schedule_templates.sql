-- Each hall's usual week: which ISO weekdays it opens (1 = Monday .. 7 = Sunday) and the periods
-- of such a day. The release job publishes each day of the booking window from it (holidays
-- closed, make-up working days open); ops publishing a day by hand overrides it for that day.
CREATE TABLE schedule_templates (
  office_id     TEXT PRIMARY KEY REFERENCES offices (office_id),
  open_weekdays TEXT NOT NULL CHECK (json_valid(open_weekdays) AND json_type(open_weekdays) = 'array'),
  periods_json  TEXT NOT NULL CHECK (json_valid(periods_json) AND json_type(periods_json) = 'array'),
  updated_at    TEXT NOT NULL
) WITHOUT ROWID;

-- Which days have been published, including days ops closed (published with no periods), so the
-- release job never reopens a day someone closed. Days published before this table existed are
-- known from their periods.
CREATE TABLE schedule_days (
  office_id  TEXT NOT NULL REFERENCES offices (office_id),
  date       TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  periods    INTEGER NOT NULL CHECK (periods >= 0),
  updated_at TEXT NOT NULL,
  PRIMARY KEY (office_id, date)
) WITHOUT ROWID;
