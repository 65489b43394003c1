-- Imports write in steps of a fraction of a second, so other writers
-- (sign-ins, objections) never wait behind a long import. An import's
-- batches stay 'pending' until its last step marks them 'done' in one
-- transaction; readers skip records of pending batches, so an import is
-- still seen whole or not at all. A pending batch left by a crash is
-- marked 'removing' and removed before the next import writes.
ALTER TABLE import_batches ADD COLUMN state TEXT NOT NULL DEFAULT 'done' CHECK (state IN ('pending', 'removing', 'done'));

-- Changed records of a pending import wait here, as JSON, until the last
-- step applies them (an update in place would be seen before the end).
CREATE TABLE import_pending_updates (
    batch_id BIGINT NOT NULL REFERENCES import_batches(id),
    seq      BIGINT NOT NULL,
    row_json TEXT NOT NULL,
    PRIMARY KEY (batch_id, seq)
);

-- Removing a pending batch's rows after a failure or crash finds them by batch.
CREATE INDEX units_batch ON units(batch_id);
CREATE INDEX commitments_batch ON commitments(batch_id);
CREATE INDEX proposals_batch ON proposals(batch_id);
CREATE INDEX hotline_batch ON hotline_tickets(batch_id);
CREATE INDEX debt_batch ON debt(batch_id);
CREATE INDEX dishonesty_batch ON dishonesty_records(batch_id);
CREATE INDEX ratings_batch ON ratings(batch_id);
CREATE INDEX honours_batch ON honours(batch_id);

-- Long work that must not run twice at once (an import, a year's scoring
-- or publication), claimed here by whichever process runs it, web or
-- command line, so each sees the other's. A claim whose holder stopped
-- renewing it (a crash) lapses.
CREATE TABLE running_jobs (
    subject    TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    started_by TEXT NOT NULL,
    origin     TEXT NOT NULL,
    holder     TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    renewed_at TIMESTAMP NOT NULL
);

-- The content digest of the inputs a version was computed from (every
-- value scoring read), beside the fingerprint of the batches and
-- decisions behind them: an edit made outside Zhengxin changes the one and
-- not the other. Versions stored before have none.
ALTER TABLE result_versions ADD COLUMN inputs_digest TEXT;
