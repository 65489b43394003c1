-- Tickets by received_at served no measured query: SQLite's year scan
-- bypasses the index (a full pass is 3.6x faster than index lookups at
-- 6 M tickets) and PostgreSQL's year read took 11.9-12.9 s with it and
-- 5.7-6.8 s without (8 years, 24 M tickets), since a year is an eighth of
-- the table and each index hit is a random heap read. Scoring reads a
-- year once per change of data (then from its columnar snapshot).
-- Keeping the index up to date cost imports about half their time at
-- 6 M rows (tickets arrive in id order, received times in any order, so
-- every insert lands on a random page of the index). BENCHMARKS.md.
DROP INDEX hotline_received;
