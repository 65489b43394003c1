-- no-transaction
-- 三员分立 (GB/T 22239-2019 level 3): the one administrator becomes three,
-- each with one duty: `system-admin` (accounts), `security-admin` (the
-- security policy) and `audit-admin` (the audit log). The administrator
-- there was manages accounts, so it becomes the system administrator.
--
-- SQLite cannot change a CHECK constraint in place: `users` is rebuilt as
-- in 0008, with foreign keys off and the whole change in one transaction.

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE users_new (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('leader', 'assessor', 'unit', 'personnel', 'system-admin', 'security-admin', 'audit-admin')),
    unit_code     TEXT REFERENCES units(code),
    disabled      INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    CHECK ((role = 'unit') = (unit_code IS NOT NULL))
);
INSERT INTO users_new (id, username, password_hash, role, unit_code, disabled, created_at)
    SELECT id, username, password_hash, CASE role WHEN 'admin' THEN 'system-admin' ELSE role END, unit_code, disabled, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

COMMIT;
PRAGMA foreign_keys = ON;
