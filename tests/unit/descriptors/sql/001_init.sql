-- tests/unit/descriptors/sql/001_init.sql: a migration that full.xml names; only its existence is tested.
CREATE TABLE test_thing (id bigint PRIMARY KEY);
