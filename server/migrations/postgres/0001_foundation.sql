-- Foundation: units, the seven sources, import batches and the audit log.
-- Dates are DATE, date-times TIMESTAMP (without zone) in China Standard
-- Time; the SQLite twin stores both as ISO text.

CREATE TABLE import_batches (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    rows_total    BIGINT NOT NULL,
    rows_inserted BIGINT NOT NULL,
    rows_updated  BIGINT NOT NULL,
    rows_unchanged BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    imported_at   TIMESTAMP NOT NULL
);

CREATE TABLE units (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    grp         TEXT NOT NULL CHECK (grp IN ('county', 'department', 'township')),
    parent_code TEXT REFERENCES units(code) DEFERRABLE INITIALLY DEFERRED,
    batch_id    BIGINT REFERENCES import_batches(id)
);
CREATE INDEX units_parent ON units(parent_code);

CREATE TABLE commitments (
    id           TEXT PRIMARY KEY,
    unit_code    TEXT NOT NULL REFERENCES units(code),
    category     TEXT NOT NULL,
    title        TEXT NOT NULL,
    made_on      DATE NOT NULL,
    due_on       DATE NOT NULL,
    status       TEXT NOT NULL,
    fulfilled_on DATE,
    batch_id     BIGINT REFERENCES import_batches(id)
);
CREATE INDEX commitments_unit_due ON commitments(unit_code, due_on);

CREATE TABLE proposals (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    title          TEXT NOT NULL,
    lead_unit_code TEXT NOT NULL REFERENCES units(code),
    assigned_on    DATE NOT NULL,
    due_on         DATE,
    replied_on     DATE,
    satisfaction   TEXT,
    resolution     TEXT,
    batch_id       BIGINT REFERENCES import_batches(id)
);
CREATE INDEX proposals_unit_assigned ON proposals(lead_unit_code, assigned_on);

CREATE TABLE hotline_tickets (
    id                TEXT PRIMARY KEY,
    unit_code         TEXT NOT NULL REFERENCES units(code),
    received_at       TIMESTAMP NOT NULL,
    due_at            TIMESTAMP NOT NULL,
    closed_at         TIMESTAMP,
    category          TEXT NOT NULL,
    integrity_related BOOLEAN NOT NULL,
    verified          BOOLEAN NOT NULL,
    satisfaction      TEXT,
    is_repeat         BOOLEAN NOT NULL,
    batch_id          BIGINT REFERENCES import_batches(id)
);
CREATE INDEX hotline_received ON hotline_tickets(received_at);

CREATE TABLE debt (
    unit_code      TEXT NOT NULL REFERENCES units(code),
    year           BIGINT NOT NULL,
    debt_limit     DOUBLE PRECISION NOT NULL,
    balance        DOUBLE PRECISION NOT NULL,
    capacity       DOUBLE PRECISION NOT NULL,
    due_amount     DOUBLE PRECISION NOT NULL,
    overdue_amount DOUBLE PRECISION NOT NULL,
    violations     BIGINT NOT NULL,
    batch_id       BIGINT REFERENCES import_batches(id),
    PRIMARY KEY (unit_code, year)
);

CREATE TABLE dishonesty_records (
    id               TEXT PRIMARY KEY,
    unit_code        TEXT NOT NULL REFERENCES units(code),
    subject          TEXT NOT NULL,
    person_ref       TEXT,
    record_type      TEXT NOT NULL,
    occurred_on      DATE NOT NULL,
    rectify_deadline DATE,
    rectified_on     DATE,
    mitigation       TEXT NOT NULL,
    batch_id         BIGINT REFERENCES import_batches(id)
);
CREATE INDEX dishonesty_unit ON dishonesty_records(unit_code);

CREATE TABLE ratings (
    unit_code TEXT NOT NULL REFERENCES units(code),
    year      BIGINT NOT NULL,
    score     DOUBLE PRECISION NOT NULL,
    batch_id  BIGINT REFERENCES import_batches(id),
    PRIMARY KEY (unit_code, year)
);

CREATE TABLE honours (
    id        TEXT PRIMARY KEY,
    unit_code TEXT NOT NULL REFERENCES units(code),
    year      BIGINT NOT NULL,
    level     TEXT NOT NULL,
    title     TEXT NOT NULL,
    batch_id  BIGINT REFERENCES import_batches(id)
);

-- Append-only: rows are only ever inserted. Each entry carries the hash of
-- its predecessor and its own hash over both, so any edit breaks the chain.
CREATE TABLE audit_log (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_log(entity, entity_key);
