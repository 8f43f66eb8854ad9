-- services/zone/sql/002_query.sql: indexes for QueryZone and for the dot paths of other
-- queries (a host's zone.name): zones by name, a normal account's zones in the default
-- order.
CREATE INDEX zone_zones_name ON zone_zones(name);
CREATE INDEX zone_zones_owner_created ON zone_zones(owner_uuid, created_at, uuid);
