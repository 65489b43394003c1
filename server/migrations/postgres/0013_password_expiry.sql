-- Passwords expire by the security policy (GB/T 22239-2019 level 3,
-- 身份鉴别 a: changed regularly): when each password was set (NULL: when
-- the account was created), and a third kind of waiting sign-in, the one
-- that must choose a new password first.

ALTER TABLE users ADD COLUMN password_changed_at TIMESTAMP;

ALTER TABLE sign_in_challenges DROP CONSTRAINT sign_in_challenges_kind_check;
ALTER TABLE sign_in_challenges ADD CONSTRAINT sign_in_challenges_kind_check CHECK (kind IN ('code', 'enrol', 'password'));
