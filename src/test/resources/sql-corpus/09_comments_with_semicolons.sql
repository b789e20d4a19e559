-- expect 2: ALTER_TABLE, DML
-- drop this later; it is only here for the v1 API;
/* block; comment /* nested; */ still in the comment; */
ALTER TABLE accounts /* inline; */ ADD COLUMN plan text; -- trailing; comment
-- SELECT 'not a statement';
UPDATE accounts SET plan = 'free' -- why: default for old rows;
WHERE plan IS NULL;
/* trailing comment-only statement; */
