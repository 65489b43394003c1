-- no-transaction
-- Integrity records beyond the score: the personnel office's role, credit
-- repair applications with their evidence, and issued notices.
--
-- SQLite cannot change a CHECK constraint in place: `users` is rebuilt
-- (SQLite's documented twelve-step way), with foreign keys off so that
-- the sessions and tokens that point at users stay as they are, and the
-- whole change in one transaction.

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE users_new (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('leader', 'assessor', 'unit', 'admin', 'personnel')),
    unit_code     TEXT REFERENCES units(code),
    disabled      INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    CHECK ((role = 'unit') = (unit_code IS NOT NULL))
);
INSERT INTO users_new (id, username, password_hash, role, unit_code, disabled, created_at)
    SELECT id, username, password_hash, role, unit_code, disabled, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

-- 信用修复: a unit asks for the lighter treatment of one of its own
-- records after correcting it. Accepted, the decided mitigation (and
-- rectified_on, where given) apply to every scoring made after
-- decided_at; the record's imported values stay as they were.
CREATE TABLE repairs (
    id                   INTEGER PRIMARY KEY,
    record_id            TEXT NOT NULL REFERENCES dishonesty_records(id),
    unit_code            TEXT NOT NULL REFERENCES units(code),
    statement            TEXT NOT NULL,
    claimed_rectified_on TEXT,
    status               TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'rejected')),
    filed_by             TEXT NOT NULL,
    filed_at             TEXT NOT NULL,
    decided_by           TEXT,
    decided_at           TEXT,
    decision_reason      TEXT,
    mitigation           TEXT CHECK (mitigation IN ('reduced', 'exempt')),
    rectified_on         TEXT,
    CHECK ((status = 'accepted') = (mitigation IS NOT NULL))
);
CREATE INDEX repairs_record ON repairs(record_id);
CREATE INDEX repairs_unit ON repairs(unit_code);
CREATE UNIQUE INDEX repairs_one_open ON repairs(record_id) WHERE status = 'open';

CREATE TABLE repair_evidence (
    repair_id  INTEGER NOT NULL REFERENCES repairs(id),
    position   INTEGER NOT NULL,
    file_name  TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    PRIMARY KEY (repair_id, position)
);

-- 通报: an issued notice, kept whole (its content and the PDF as issued)
-- so it can be produced again byte for byte.
CREATE TABLE notices (
    id           INTEGER PRIMARY KEY,
    as_of        TEXT NOT NULL,
    issued_by    TEXT NOT NULL,
    issued_at    TEXT NOT NULL,
    content      TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    pdf          BLOB NOT NULL
);

-- A person's file reads every record of one person_ref.
CREATE INDEX dishonesty_person ON dishonesty_records(person_ref);

COMMIT;
PRAGMA foreign_keys = ON;
