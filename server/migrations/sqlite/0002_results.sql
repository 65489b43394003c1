-- Results: every scoring run is a numbered version of a year's result,
-- with the rulebook, as_of and input fingerprint it was computed from and a
-- content hash over all of it. Publishing freezes a version; rows of a
-- version are never updated or deleted.

CREATE TABLE result_versions (
    id                 INTEGER PRIMARY KEY,
    year               INTEGER NOT NULL,
    version            INTEGER NOT NULL,
    as_of              TEXT NOT NULL,
    rulebook           TEXT NOT NULL,
    rulebook_hash      TEXT NOT NULL,
    inputs_fingerprint TEXT NOT NULL,
    content_hash       TEXT NOT NULL,
    computed_at        TEXT NOT NULL,
    computed_by        TEXT NOT NULL,
    published_at       TEXT,
    published_by       TEXT,
    UNIQUE (year, version)
);

CREATE TABLE unit_results (
    version_id   INTEGER NOT NULL REFERENCES result_versions(id),
    unit_code    TEXT NOT NULL,
    unit_name    TEXT NOT NULL,
    grp          TEXT NOT NULL,
    parent_code  TEXT,
    total        REAL NOT NULL,
    base         REAL NOT NULL,
    bonus        REAL NOT NULL,
    rank         INTEGER,
    county_rank  INTEGER,
    group_size   INTEGER NOT NULL,
    grade        TEXT NOT NULL,
    vetoed       INTEGER NOT NULL,
    veto_reason  TEXT,
    prev_total   REAL,
    prev_rank    INTEGER,
    total_change REAL,
    rank_change  INTEGER,
    PRIMARY KEY (version_id, unit_code)
);

CREATE TABLE indicator_results (
    version_id  INTEGER NOT NULL REFERENCES result_versions(id),
    unit_code   TEXT NOT NULL,
    indicator   TEXT NOT NULL,
    position    INTEGER NOT NULL,
    dimension   TEXT NOT NULL,
    weight      REAL NOT NULL,
    numerator   REAL,
    denominator REAL,
    value       REAL,
    applicable  INTEGER NOT NULL,
    points      REAL,
    PRIMARY KEY (version_id, unit_code, indicator)
);

CREATE TABLE quality_findings (
    version_id INTEGER NOT NULL REFERENCES result_versions(id),
    position   INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    source     TEXT NOT NULL,
    unit_code  TEXT,
    record_id  TEXT,
    detail     TEXT NOT NULL,
    PRIMARY KEY (version_id, position)
);

-- 异议: a unit's objection to a record. An accepted objection voids the
-- record for every later scoring; the record itself is kept and marked.
CREATE TABLE objections (
    id              INTEGER PRIMARY KEY,
    source          TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    unit_code       TEXT NOT NULL REFERENCES units(code),
    reason          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'rejected')),
    filed_by        TEXT NOT NULL,
    filed_at        TEXT NOT NULL,
    decided_by      TEXT,
    decided_at      TEXT,
    decision_reason TEXT
);
CREATE INDEX objections_record ON objections(source, record_id);
