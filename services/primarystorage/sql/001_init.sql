-- services/primarystorage/sql/001_init.sql: the primary storage service's tables. A
-- primary storage is registered in zs_resources (type PrimaryStorage, parent its zone),
-- so it goes with its zone, and its volumes (children in zs_resources) go with it.
--
-- Capacity: each live volume holds one row in ps_reservations (its size, and for
-- LocalStorage its host). reserved_capacity on the storage (NFS) or on the host share
-- (LocalStorage) is the sum of those rows, changed in the same transaction as they are
-- by conditional UPDATEs that never let reserved pass total, so available = total -
-- reserved is exact under any concurrency. total comes from the agents.

CREATE TABLE ps_storages (
    uuid              text PRIMARY KEY REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    zone_uuid         text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    owner_uuid        text NOT NULL,
    name              text NOT NULL CHECK (name <> ''),
    description       text NOT NULL DEFAULT '',
    type              text NOT NULL CHECK (type IN ('LocalStorage', 'NFS')),
    url               text NOT NULL,
    mount_path        text NOT NULL,
    state             text NOT NULL DEFAULT 'Enabled' CHECK (state IN ('Enabled', 'Disabled')),
    total_capacity    bigint NOT NULL DEFAULT 0 CHECK (total_capacity >= 0),     -- NFS
    reserved_capacity bigint NOT NULL DEFAULT 0 CHECK (reserved_capacity >= 0),  -- NFS
    available_physical bigint NOT NULL DEFAULT 0,                                -- NFS
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ps_storages_zone_name_key UNIQUE (zone_uuid, name)
);
CREATE INDEX ps_storages_created ON ps_storages(created_at, uuid);

CREATE TABLE ps_clusters (
    ps_uuid      text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    cluster_uuid text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ps_uuid, cluster_uuid)
);

-- One host's share: its disk for LocalStorage (total, reserved), its mount for NFS.
CREATE TABLE ps_hosts (
    ps_uuid           text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    host_uuid         text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    cluster_uuid      text NOT NULL,
    host_ip           text NOT NULL,
    status            text NOT NULL CHECK (status IN ('Connected', 'Disconnected')),
    status_reason     text NOT NULL DEFAULT '',
    total_capacity    bigint NOT NULL DEFAULT 0 CHECK (total_capacity >= 0),
    reserved_capacity bigint NOT NULL DEFAULT 0 CHECK (reserved_capacity >= 0),
    available_physical bigint NOT NULL DEFAULT 0,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ps_uuid, host_uuid)
);

CREATE TABLE ps_reservations (
    volume_uuid text PRIMARY KEY,
    ps_uuid     text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    host_uuid   text NOT NULL DEFAULT '',
    size        bigint NOT NULL CHECK (size > 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ps_reservations_ps ON ps_reservations(ps_uuid, host_uuid);

-- What Get and List answer (and what a Query reads): LocalStorage's capacity is the sum
-- of its hosts'; status is Connected when some host has it.
CREATE VIEW ps_view AS
SELECT s.uuid, s.zone_uuid, s.owner_uuid, s.name, s.description, s.type, s.url, s.mount_path,
       s.state, s.created_at, s.updated_at,
       CASE WHEN EXISTS (SELECT 1 FROM ps_hosts h WHERE h.ps_uuid = s.uuid AND h.status = 'Connected')
            THEN 'Connected' ELSE 'Disconnected' END AS status,
       CASE WHEN s.type = 'LocalStorage'
            THEN (SELECT coalesce(sum(h.total_capacity), 0) FROM ps_hosts h WHERE h.ps_uuid = s.uuid)
            ELSE s.total_capacity END::bigint AS total_capacity,
       CASE WHEN s.type = 'LocalStorage'
            THEN (SELECT coalesce(sum(h.total_capacity - h.reserved_capacity), 0) FROM ps_hosts h
                  WHERE h.ps_uuid = s.uuid)
            ELSE s.total_capacity - s.reserved_capacity END::bigint AS available_capacity,
       CASE WHEN s.type = 'LocalStorage'
            THEN (SELECT coalesce(sum(h.available_physical), 0) FROM ps_hosts h WHERE h.ps_uuid = s.uuid)
            ELSE s.available_physical END::bigint AS available_physical_capacity
FROM ps_storages s;
