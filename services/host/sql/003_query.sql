-- services/host/sql/003_query.sql: indexes for QueryHost: hosts by zone or name, a
-- normal account's hosts in the default order (oldest first), and by cluster name (the
-- cluster.name dot path looks clusters up by uuid, which their key serves).
CREATE INDEX host_hosts_zone ON host_hosts(zone_uuid);
CREATE INDEX host_hosts_name ON host_hosts(name);
CREATE INDEX host_hosts_owner_created ON host_hosts(owner_uuid, created_at, uuid);
