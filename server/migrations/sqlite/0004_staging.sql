-- Uploads from the import page wait here, checked but not written, until
-- the assessment team commits or discards them. The files' bytes are kept
-- only while an upload waits; the row and its report stay as history.

CREATE TABLE staged_imports (
    id         INTEGER PRIMARY KEY,
    status     TEXT NOT NULL CHECK (status IN ('staged', 'committed', 'discarded')),
    report     TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT
);

CREATE TABLE staged_import_files (
    staged_id INTEGER NOT NULL REFERENCES staged_imports(id),
    position  INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    source    TEXT,
    size      INTEGER NOT NULL,
    bytes     BLOB,
    PRIMARY KEY (staged_id, position)
);
