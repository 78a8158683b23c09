-- Foreigners' documents and English texts.
--
-- applicants.doc_kind's CHECK knows only 'id_card' and 'foreign_passport', and SQLite cannot
-- alter a CHECK (rebuilding the table breaks the foreign keys into it: see 0003). doc_type is
-- the document's kind from now on, with every kind in its CHECK; doc_kind stays what it was
-- for the rows before, and for a new row says whether the person is a foreigner
-- ('foreign_passport' for a passport and a permanent residence card alike). Reads take
-- COALESCE(doc_type, doc_kind).
ALTER TABLE applicants ADD COLUMN doc_type TEXT
  CHECK (doc_type IS NULL OR doc_type IN ('id_card', 'foreign_passport', 'permanent_residence'));
UPDATE applicants SET doc_type = doc_kind WHERE doc_type IS NULL;

-- A foreigner's Chinese name, kept beside the Latin name of their passport.
ALTER TABLE applicants ADD COLUMN name_zh TEXT
  CHECK (name_zh IS NULL OR length(name_zh) BETWEEN 2 AND 20);

-- Each service's name and guide in English; '' and '{}' until the reference data gives them,
-- and the catalog answers in Chinese meanwhile.
ALTER TABLE services ADD COLUMN name_en TEXT NOT NULL DEFAULT '';
ALTER TABLE services ADD COLUMN guide_en_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(guide_en_json));
