-- Passwords expire by the security policy (GB/T 22239-2019 level 3,
-- 身份鉴别 a: changed regularly): when each password was set (NULL: when
-- the account was created), and a third kind of waiting sign-in, the one
-- that must choose a new password (after any second factor, whose
-- factors it carries). The waiting sign-ins are five-minute state: the
-- table is made again with the new kind allowed.
--
-- The policy's clocks start at this upgrade: an account is neither
-- disabled as unused nor made to change its password at its first
-- sign-in afterwards for time that passed before the policy existed.

ALTER TABLE users ADD COLUMN password_changed_at TEXT;
UPDATE users SET password_changed_at = datetime('now', '+8 hours') WHERE password_changed_at IS NULL;
UPDATE users SET last_sign_in_at = datetime('now', '+8 hours') WHERE last_sign_in_at IS NULL;

DROP TABLE sign_in_challenges;
CREATE TABLE sign_in_challenges (
    id_hash    TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    -- 'code': the account has a second factor; 'enrol': it must set one
    -- up; 'password': its password expired and it must choose a new one.
    kind       TEXT NOT NULL CHECK (kind IN ('code', 'enrol', 'password')),
    address    TEXT NOT NULL,
    next       TEXT NOT NULL,
    -- The factors given so far: 'password', 'password+totp', ...
    factors    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    failures   INTEGER NOT NULL
);
CREATE INDEX sign_in_challenges_user ON sign_in_challenges(user_id);
