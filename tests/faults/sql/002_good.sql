-- 002_good.sql: 002_bad.sql fixed: makes and fills its table.
CREATE TABLE migtest_second (id int PRIMARY KEY);
INSERT INTO migtest_second (id) VALUES (1);
INSERT INTO migtest_first (id, name) VALUES (2, 'two');
