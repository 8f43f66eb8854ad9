-- services/volume/sql/001_init.sql: the volume service's table. A volume is registered
-- in zs_resources (type Volume, parent its primary storage), so it goes with its primary
-- storage and that storage's zone. Its capacity is the primary storage service's
-- reservation under the volume's uuid.

CREATE TABLE volume_volumes (
    uuid                 text PRIMARY KEY REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    primary_storage_uuid text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    owner_uuid           text NOT NULL,
    name                 text NOT NULL CHECK (name <> ''),
    description          text NOT NULL DEFAULT '',
    type                 text NOT NULL CHECK (type IN ('Root', 'Data')),
    size                 bigint NOT NULL CHECK (size > 0),
    format               text NOT NULL DEFAULT 'qcow2',
    host_uuid            text NOT NULL DEFAULT '',
    zone_uuid            text NOT NULL DEFAULT '',
    install_path         text NOT NULL DEFAULT '',
    state                text NOT NULL DEFAULT 'Enabled' CHECK (state IN ('Enabled', 'Disabled')),
    status               text NOT NULL CHECK (status IN ('Creating', 'Ready', 'Deleting')),
    image_uuid           text NOT NULL DEFAULT '',
    vm_uuid              text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX volume_volumes_ps ON volume_volumes(primary_storage_uuid);
CREATE INDEX volume_volumes_owner ON volume_volumes(owner_uuid);
CREATE INDEX volume_volumes_created ON volume_volumes(created_at, uuid);
