-- What an install is (a demo or a real one), and what sessions and API
-- tokens need to end on their own: idle sessions, expiring tokens.

CREATE TABLE install_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;

ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;

-- Audit entries hashed with length-prefixed fields (format 2); entries
-- written before keep format 1 and are verified as they were hashed.
ALTER TABLE audit_log ADD COLUMN format INTEGER NOT NULL DEFAULT 1;

-- The audit chain's head when a result version was stored: a chain cut
-- off after that point no longer contains it.
ALTER TABLE result_versions ADD COLUMN audit_head TEXT;
