-- What an install is (a demo or a real one), and what sessions and API
-- tokens need to end on their own: idle sessions, expiring tokens.

CREATE TABLE install_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMP;

ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMP;
