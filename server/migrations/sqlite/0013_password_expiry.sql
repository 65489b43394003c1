-- Passwords expire by the security policy (GB/T 22239-2019 level 3,
-- 身份鉴别 a: changed regularly): when each password was set (NULL: when
-- the account was created), and a third kind of waiting sign-in, the one
-- that must choose a new password first. The waiting sign-ins are
-- five-minute state: the table is made again with the new kind allowed.

ALTER TABLE users ADD COLUMN password_changed_at TEXT;

DROP TABLE sign_in_challenges;
CREATE TABLE sign_in_challenges (
    id_hash    TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    -- 'code': the account has a second factor; 'enrol': it must set one
    -- up; 'password': its password expired and it must choose a new one.
    kind       TEXT NOT NULL CHECK (kind IN ('code', 'enrol', 'password')),
    address    TEXT NOT NULL,
    next       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    failures   INTEGER NOT NULL
);
CREATE INDEX sign_in_challenges_user ON sign_in_challenges(user_id);
