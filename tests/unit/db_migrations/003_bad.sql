-- db_test migration 3: fails at its second statement (line 4, column 13).
-- 区域区域区域区域区域区域区域区域区域区域: positions count characters, not bytes.
CREATE TABLE m_first (id int);
INSERT INTO m_missing (id) VALUES (1);
