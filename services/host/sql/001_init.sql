-- services/host/sql/001_init.sql: the host service's table. Each host is registered in
-- zs_resources (type Host, parent its cluster) in the same transaction as its row here,
-- and its row goes when the resource goes (so with its cluster or zone). Names are unique
-- within a cluster; a management IP is unique among all hosts (one machine, one host).
-- owner_uuid is copied from the resource, which never changes owner; zone_uuid is the
-- cluster's zone when the host was added (clusters do not move).

CREATE TABLE host_hosts (
    uuid            text PRIMARY KEY REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    cluster_uuid    text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    zone_uuid       text NOT NULL,
    owner_uuid      text NOT NULL,
    name            text NOT NULL CHECK (name <> ''),
    description     text NOT NULL DEFAULT '',
    management_ip   text NOT NULL,
    hypervisor_type text NOT NULL,
    state           text NOT NULL DEFAULT 'Enabled' CHECK (state IN ('Enabled', 'Disabled')),
    status          text NOT NULL DEFAULT 'Disconnected'
                    CHECK (status IN ('Connecting', 'Connected', 'Disconnected')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT host_hosts_cluster_name_key UNIQUE (cluster_uuid, name),
    CONSTRAINT host_hosts_management_ip_key UNIQUE (management_ip)
);
CREATE INDEX host_hosts_owner ON host_hosts(owner_uuid);
CREATE INDEX host_hosts_created ON host_hosts(created_at, uuid);
