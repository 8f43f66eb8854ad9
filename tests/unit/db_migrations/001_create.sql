-- db_test migration 1 of service "dbtest": two tables, one referencing the other.
CREATE TABLE m_zone (
    uuid text PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE m_host (
    uuid text PRIMARY KEY,
    zone_uuid text NOT NULL REFERENCES m_zone (uuid)
);
