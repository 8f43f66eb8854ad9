-- db_test migration 2: a column, an index and a row, so the test can see it ran after 1.
ALTER TABLE m_host ADD COLUMN state text NOT NULL DEFAULT 'Enabled';
CREATE INDEX m_host_zone ON m_host (zone_uuid);
INSERT INTO m_zone (uuid, name) VALUES ('z0', 'default zone');
