-- 002_bad.sql: makes a table, fills it, then fails on a later statement (line 7): the
-- table must not stay, nor may version 2 be recorded.
CREATE TABLE migtest_second (id int PRIMARY KEY);
INSERT INTO migtest_second (id) VALUES (1);

-- there is no such table
INSERT INTO migtest_missing (id) VALUES (2);
CREATE TABLE migtest_never (id int);
