-- services/cluster/sql/001_init.sql: the cluster service's table. Each cluster is
-- registered in zs_resources (type Cluster, parent its zone) in the same transaction as
-- its row here, and its row goes when the resource goes (so with its zone). Names are
-- unique within a zone. owner_uuid is copied from the resource, which never changes owner.

CREATE TABLE cluster_clusters (
    uuid            text PRIMARY KEY REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    zone_uuid       text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    owner_uuid      text NOT NULL,
    name            text NOT NULL CHECK (name <> ''),
    description     text NOT NULL DEFAULT '',
    hypervisor_type text NOT NULL CHECK (hypervisor_type IN ('KVM')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cluster_clusters_zone_name_key UNIQUE (zone_uuid, name)
);
CREATE INDEX cluster_clusters_owner ON cluster_clusters(owner_uuid);
CREATE INDEX cluster_clusters_created ON cluster_clusters(created_at, uuid);
