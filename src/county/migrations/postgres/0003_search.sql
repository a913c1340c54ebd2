-- The search index of the appeals' `search` column (code, title, content,
-- location, unit and reply): pg_trgm's trigrams in a GIN index, which
-- serves `search ILIKE '%…%'` for texts of three characters or more.
-- Trigrams of Chinese text need a database whose LC_CTYPE classifies
-- Chinese characters as letters (zh_CN.UTF-8, en_US.UTF-8, C.UTF-8…);
-- under the C locale the index finds nothing to narrow by and the search
-- reads every row (still correct).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX appeals_search ON appeals USING gin (search gin_trgm_ops);

-- The queue's orders and its units' view: the newest first (ties by
-- code) and a unit's appeals by status and deadline, each one index in
-- place of the narrower one it extends.
DROP INDEX appeals_registered;
CREATE INDEX appeals_registered ON appeals (registered_at, code);
DROP INDEX appeals_unit;
CREATE INDEX appeals_unit ON appeals (unit, status, deadline);
