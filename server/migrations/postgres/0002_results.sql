-- Results: every scoring run is a numbered version of a year's result,
-- with the rulebook, as_of and input fingerprint it was computed from and a
-- content hash over all of it. Publishing freezes a version; rows of a
-- version are never updated or deleted.

CREATE TABLE result_versions (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    year               BIGINT NOT NULL,
    version            BIGINT NOT NULL,
    as_of              TIMESTAMP NOT NULL,
    rulebook           TEXT NOT NULL,
    rulebook_hash      TEXT NOT NULL,
    inputs_fingerprint TEXT NOT NULL,
    content_hash       TEXT NOT NULL,
    computed_at        TIMESTAMP NOT NULL,
    computed_by        TEXT NOT NULL,
    published_at       TIMESTAMP,
    published_by       TEXT,
    UNIQUE (year, version)
);

CREATE TABLE unit_results (
    version_id   BIGINT NOT NULL REFERENCES result_versions(id),
    unit_code    TEXT NOT NULL,
    unit_name    TEXT NOT NULL,
    grp          TEXT NOT NULL,
    parent_code  TEXT,
    total        DOUBLE PRECISION NOT NULL,
    base         DOUBLE PRECISION NOT NULL,
    bonus        DOUBLE PRECISION NOT NULL,
    rank         BIGINT,
    county_rank  BIGINT,
    group_size   BIGINT NOT NULL,
    grade        TEXT NOT NULL,
    vetoed       BOOLEAN NOT NULL,
    veto_reason  TEXT,
    prev_total   DOUBLE PRECISION,
    prev_rank    BIGINT,
    total_change DOUBLE PRECISION,
    rank_change  BIGINT,
    PRIMARY KEY (version_id, unit_code)
);

CREATE TABLE indicator_results (
    version_id  BIGINT NOT NULL REFERENCES result_versions(id),
    unit_code   TEXT NOT NULL,
    indicator   TEXT NOT NULL,
    position    BIGINT NOT NULL,
    dimension   TEXT NOT NULL,
    weight      DOUBLE PRECISION NOT NULL,
    numerator   DOUBLE PRECISION,
    denominator DOUBLE PRECISION,
    value       DOUBLE PRECISION,
    applicable  BOOLEAN NOT NULL,
    points      DOUBLE PRECISION,
    PRIMARY KEY (version_id, unit_code, indicator)
);

CREATE TABLE quality_findings (
    version_id BIGINT NOT NULL REFERENCES result_versions(id),
    position   BIGINT NOT NULL,
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
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source          TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    unit_code       TEXT NOT NULL REFERENCES units(code),
    reason          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'rejected')),
    filed_by        TEXT NOT NULL,
    filed_at        TIMESTAMP NOT NULL,
    decided_by      TEXT,
    decided_at      TIMESTAMP,
    decision_reason TEXT
);
CREATE INDEX objections_record ON objections(source, record_id);
