-- services/backupstorage/sql/001_init.sql: the backup storage service's tables. A backup
-- storage is registered in zs_resources (type BackupStorage, no parent: it is not inside a
-- zone) and its row goes with the resource. Its attachments to zones are rows that go
-- when either the backup storage or the zone goes (ZStack's cascade): deleting a zone
-- detaches its backup storages and leaves them. One agent a machine: hostnames are unique.

CREATE TABLE backupstorage_backup_storages (
    uuid               text PRIMARY KEY REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    owner_uuid         text NOT NULL,
    name               text NOT NULL CHECK (name <> ''),
    description        text NOT NULL DEFAULT '',
    type               text NOT NULL CHECK (type IN ('Sftp')),
    hostname           text NOT NULL,
    url                text NOT NULL,
    username           text NOT NULL,
    ssh_port           integer NOT NULL,
    state              text NOT NULL DEFAULT 'Enabled' CHECK (state IN ('Enabled', 'Disabled')),
    status             text NOT NULL DEFAULT 'Connecting'
                       CHECK (status IN ('Connecting', 'Connected', 'Disconnected')),
    status_reason      text NOT NULL DEFAULT '',
    total_capacity     bigint NOT NULL DEFAULT 0 CHECK (total_capacity >= 0),
    -- taken by images with one conditional UPDATE; never below 0
    available_capacity bigint NOT NULL DEFAULT 0 CHECK (available_capacity >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT backupstorage_backup_storages_hostname_key UNIQUE (hostname)
);
CREATE INDEX backupstorage_backup_storages_created ON backupstorage_backup_storages(created_at, uuid);

CREATE TABLE backupstorage_zone_refs (
    backup_storage_uuid text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    zone_uuid           text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (backup_storage_uuid, zone_uuid)
);
CREATE INDEX backupstorage_zone_refs_zone ON backupstorage_zone_refs(zone_uuid);
