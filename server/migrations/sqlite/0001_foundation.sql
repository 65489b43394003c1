-- Foundation: units, the seven sources, import batches and the audit log.
-- Dates are ISO text (YYYY-MM-DD), date-times ISO text in China Standard
-- Time (YYYY-MM-DD HH:MM:SS); the PostgreSQL twin uses DATE and TIMESTAMP.

CREATE TABLE import_batches (
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    rows_total    INTEGER NOT NULL,
    rows_inserted INTEGER NOT NULL,
    rows_updated  INTEGER NOT NULL,
    rows_unchanged INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    imported_at   TEXT NOT NULL
);

CREATE TABLE units (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    grp         TEXT NOT NULL CHECK (grp IN ('county', 'department', 'township')),
    parent_code TEXT REFERENCES units(code) DEFERRABLE INITIALLY DEFERRED,
    batch_id    INTEGER REFERENCES import_batches(id)
);
CREATE INDEX units_parent ON units(parent_code);

CREATE TABLE commitments (
    id           TEXT PRIMARY KEY,
    unit_code    TEXT NOT NULL REFERENCES units(code),
    category     TEXT NOT NULL,
    title        TEXT NOT NULL,
    made_on      TEXT NOT NULL,
    due_on       TEXT NOT NULL,
    status       TEXT NOT NULL,
    fulfilled_on TEXT,
    batch_id     INTEGER REFERENCES import_batches(id)
);
CREATE INDEX commitments_unit_due ON commitments(unit_code, due_on);

CREATE TABLE proposals (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    title          TEXT NOT NULL,
    lead_unit_code TEXT NOT NULL REFERENCES units(code),
    assigned_on    TEXT NOT NULL,
    due_on         TEXT,
    replied_on     TEXT,
    satisfaction   TEXT,
    resolution     TEXT,
    batch_id       INTEGER REFERENCES import_batches(id)
);
CREATE INDEX proposals_unit_assigned ON proposals(lead_unit_code, assigned_on);

CREATE TABLE hotline_tickets (
    id                TEXT PRIMARY KEY,
    unit_code         TEXT NOT NULL REFERENCES units(code),
    received_at       TEXT NOT NULL,
    due_at            TEXT NOT NULL,
    closed_at         TEXT,
    category          TEXT NOT NULL,
    integrity_related INTEGER NOT NULL,
    verified          INTEGER NOT NULL,
    satisfaction      TEXT,
    is_repeat         INTEGER NOT NULL,
    batch_id          INTEGER REFERENCES import_batches(id)
);
CREATE INDEX hotline_received ON hotline_tickets(received_at);

CREATE TABLE debt (
    unit_code      TEXT NOT NULL REFERENCES units(code),
    year           INTEGER NOT NULL,
    debt_limit     REAL NOT NULL,
    balance        REAL NOT NULL,
    capacity       REAL NOT NULL,
    due_amount     REAL NOT NULL,
    overdue_amount REAL NOT NULL,
    violations     INTEGER NOT NULL,
    batch_id       INTEGER REFERENCES import_batches(id),
    PRIMARY KEY (unit_code, year)
);

CREATE TABLE dishonesty_records (
    id               TEXT PRIMARY KEY,
    unit_code        TEXT NOT NULL REFERENCES units(code),
    subject          TEXT NOT NULL,
    person_ref       TEXT,
    record_type      TEXT NOT NULL,
    occurred_on      TEXT NOT NULL,
    rectify_deadline TEXT,
    rectified_on     TEXT,
    mitigation       TEXT NOT NULL,
    batch_id         INTEGER REFERENCES import_batches(id)
);
CREATE INDEX dishonesty_unit ON dishonesty_records(unit_code);

CREATE TABLE ratings (
    unit_code TEXT NOT NULL REFERENCES units(code),
    year      INTEGER NOT NULL,
    score     REAL NOT NULL,
    batch_id  INTEGER REFERENCES import_batches(id),
    PRIMARY KEY (unit_code, year)
);

CREATE TABLE honours (
    id        TEXT PRIMARY KEY,
    unit_code TEXT NOT NULL REFERENCES units(code),
    year      INTEGER NOT NULL,
    level     TEXT NOT NULL,
    title     TEXT NOT NULL,
    batch_id  INTEGER REFERENCES import_batches(id)
);

-- Append-only: rows are only ever inserted. Each entry carries the hash of
-- its predecessor and its own hash over both, so any edit breaks the chain.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_log(entity, entity_key);
