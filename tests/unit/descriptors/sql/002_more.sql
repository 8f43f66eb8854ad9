-- tests/unit/descriptors/sql/002_more.sql: the second migration of full.xml.
ALTER TABLE test_thing ADD COLUMN name text;
