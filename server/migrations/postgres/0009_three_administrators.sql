-- 三员分立 (GB/T 22239-2019 level 3): the one administrator becomes three,
-- each with one duty: `system-admin` (accounts), `security-admin` (the
-- security policy) and `audit-admin` (the audit log). The administrator
-- there was manages accounts, so it becomes the system administrator.

ALTER TABLE users DROP CONSTRAINT users_role_check;
UPDATE users SET role = 'system-admin' WHERE role = 'admin';
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('leader', 'assessor', 'unit', 'personnel', 'system-admin', 'security-admin', 'audit-admin'));
