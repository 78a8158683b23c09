-- Names, phones and mail addresses sealed at rest like the document numbers (AES-256-GCM under
-- ID_SEAL_KEY, its version in front: `v1.…`, bound to their table, column and row). None of them
-- is looked up by value, so none needs a keyed hash. The sealed value is in a column of its own
-- wherever the clear column's CHECK cannot hold it (SQLite cannot alter a CHECK, and rebuilding
-- these tables breaks the foreign keys into them: see 0003); the clear column then holds the
-- value masked, as `doc_masked` does. A mail address is sealed where it stands in `pickup_json`.
-- Rows written before this migration keep their clear values and are read as they are.
ALTER TABLE applicants ADD COLUMN name_sealed TEXT CHECK (name_sealed IS NULL OR name_sealed GLOB 'v[1-9]*.*');
ALTER TABLE applicants ADD COLUMN name_zh_sealed TEXT CHECK (name_zh_sealed IS NULL OR name_zh_sealed GLOB 'v[1-9]*.*');
ALTER TABLE bookings ADD COLUMN phone_sealed TEXT CHECK (phone_sealed IS NULL OR phone_sealed GLOB 'v[1-9]*.*');

-- user_phones' CHECK admits eleven digits only, so a sealed phone has a table of its own; binding
-- a phone deletes the clear row a binding before this migration left.
CREATE TABLE user_phones_sealed (
  user_id      TEXT PRIMARY KEY REFERENCES users (user_id),
  phone_sealed TEXT NOT NULL CHECK (phone_sealed GLOB 'v[1-9]*.*'),
  updated_at   TEXT NOT NULL
) WITHOUT ROWID;
