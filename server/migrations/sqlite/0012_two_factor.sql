-- Two-factor sign-in (GB/T 22239-2019 level 3, 身份鉴别 d): a time-based
-- one-time password (RFC 6238) per account, ten one-time recovery codes
-- kept only as SHA-256 hashes, and the half-finished sign-ins waiting for
-- their code (their id kept only as a hash, like a session's).

CREATE TABLE totp_secrets (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id),
    -- Base32, as authenticator apps take it.
    secret       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    -- NULL until a code from the app has been checked against it.
    confirmed_at TEXT,
    -- The newest 30-second step a code was accepted for: a code is used once.
    last_step    INTEGER NOT NULL
);

CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    used_at   TEXT
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);

CREATE TABLE sign_in_challenges (
    id_hash    TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    -- 'code': the account has a second factor; 'enrol': it must set one up.
    kind       TEXT NOT NULL CHECK (kind IN ('code', 'enrol')),
    address    TEXT NOT NULL,
    next       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    failures   INTEGER NOT NULL
);
CREATE INDEX sign_in_challenges_user ON sign_in_challenges(user_id);
