-- Integrity records beyond the score: the personnel office's role, credit
-- repair applications with their evidence, and issued notices.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('leader', 'assessor', 'unit', 'admin', 'personnel'));

-- 信用修复: a unit asks for the lighter treatment of one of its own
-- records after correcting it. Accepted, the decided mitigation (and
-- rectified_on, where given) apply to every scoring made after
-- decided_at; the record's imported values stay as they were.
CREATE TABLE repairs (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id            TEXT NOT NULL REFERENCES dishonesty_records(id),
    unit_code            TEXT NOT NULL REFERENCES units(code),
    statement            TEXT NOT NULL,
    claimed_rectified_on DATE,
    status               TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'rejected')),
    filed_by             TEXT NOT NULL,
    filed_at             TIMESTAMP NOT NULL,
    decided_by           TEXT,
    decided_at           TIMESTAMP,
    decision_reason      TEXT,
    mitigation           TEXT CHECK (mitigation IN ('reduced', 'exempt')),
    rectified_on         DATE,
    CHECK ((status = 'accepted') = (mitigation IS NOT NULL))
);
CREATE INDEX repairs_record ON repairs(record_id);
CREATE INDEX repairs_unit ON repairs(unit_code);
CREATE UNIQUE INDEX repairs_one_open ON repairs(record_id) WHERE status = 'open';

CREATE TABLE repair_evidence (
    repair_id  BIGINT NOT NULL REFERENCES repairs(id),
    position   INTEGER NOT NULL,
    file_name  TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    sha256     TEXT NOT NULL,
    bytes      BYTEA NOT NULL,
    PRIMARY KEY (repair_id, position)
);

-- 通报: an issued notice, kept whole (its content and the PDF as issued)
-- so it can be produced again byte for byte.
CREATE TABLE notices (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    as_of        DATE NOT NULL,
    issued_by    TEXT NOT NULL,
    issued_at    TIMESTAMP NOT NULL,
    content      TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    pdf          BYTEA NOT NULL
);

-- A person's file reads every record of one person_ref.
CREATE INDEX dishonesty_person ON dishonesty_records(person_ref);
