-- Users, their log-in sessions and API tokens. Passwords are argon2
-- hashes; session ids and tokens are stored only as SHA-256 hashes, so a
-- copy of the database does not let anyone log in.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('leader', 'assessor', 'unit', 'admin')),
    unit_code     TEXT REFERENCES units(code),
    disabled      BOOLEAN NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    CHECK ((role = 'unit') = (unit_code IS NOT NULL))
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    csrf       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
