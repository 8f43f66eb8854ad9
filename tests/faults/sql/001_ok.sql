-- 001_ok.sql: migtest's first migration, which applies.
CREATE TABLE migtest_first (
    id int PRIMARY KEY,
    name text NOT NULL
);
INSERT INTO migtest_first (id, name) VALUES (1, 'one');
