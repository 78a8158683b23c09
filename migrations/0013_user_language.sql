-- The language an account last signed in with (from Accept-Language): what the messages sent
-- to it are written in.
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh' CHECK (lang IN ('zh', 'en'));
