-- users.phone cannot hold a value in D1: its CHECK spells the eleven digits as one GLOB pattern of
-- 51 characters, longer than D1 allows ("LIKE or GLOB pattern too complex"), so every write of a
-- phone fails. SQLite cannot alter a CHECK, and rebuilding users breaks the foreign keys that
-- point into it while it has rows, so the bound phone lives in its own table instead, with the
-- same rule in short patterns: eleven characters, `1`, a second digit 3-9, and only digits.
-- users.phone stays NULL.
CREATE TABLE user_phones (
  user_id    TEXT PRIMARY KEY REFERENCES users (user_id),
  phone      TEXT NOT NULL CHECK (length(phone) = 11 AND phone GLOB '1[3-9]*' AND phone NOT GLOB '*[^0-9]*'),
  updated_at TEXT NOT NULL
) WITHOUT ROWID;
