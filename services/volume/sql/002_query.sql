-- services/volume/sql/002_query.sql: indexes for QueryVolume: volumes by name, by host
-- (LocalStorage) and by zone.
CREATE INDEX volume_volumes_name ON volume_volumes(name);
CREATE INDEX volume_volumes_host ON volume_volumes(host_uuid);
CREATE INDEX volume_volumes_zone ON volume_volumes(zone_uuid);
