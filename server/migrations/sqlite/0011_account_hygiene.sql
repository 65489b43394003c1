-- Accounts kept clean (GB/T 22239-2019 level 3, 身份鉴别): when each
-- account last signed in (an account unused for the security policy's
-- days is disabled), and the hashes of its earlier passwords (a new one
-- may not repeat the last few). NULL: never signed in since the upgrade.

ALTER TABLE users ADD COLUMN last_sign_in_at TEXT;

CREATE TABLE password_history (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    password_hash TEXT NOT NULL,
    replaced_at   TEXT NOT NULL
);
CREATE INDEX password_history_user ON password_history(user_id, id);
