-- services/image/sql/001_init.sql: the image service's tables. An image is registered in
-- zs_resources (type Image, no parent) and its row goes with the resource. Its copies on
-- backup storages are rows that go with the image or with the backup storage (a deleted
-- backup storage takes its copies with it). A copy is Downloading until its agent has it
-- and its size is taken from the backup storage's capacity, then Ready; a failed copy
-- leaves no row. Images are added by admins; a public one is seen by every account.

CREATE TABLE image_images (
    uuid        text PRIMARY KEY REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    owner_uuid  text NOT NULL,
    name        text NOT NULL CHECK (name <> ''),
    description text NOT NULL DEFAULT '',
    url         text NOT NULL,
    format      text NOT NULL CHECK (format IN ('qcow2', 'raw', 'iso')),
    media_type  text NOT NULL CHECK (media_type IN ('RootVolumeTemplate', 'DataVolumeTemplate', 'ISO')),
    platform    text NOT NULL CHECK (platform IN ('Linux', 'Windows', 'Other')),
    status      text NOT NULL DEFAULT 'Downloading' CHECK (status IN ('Downloading', 'Ready', 'Deleted')),
    size        bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
    actual_size bigint NOT NULL DEFAULT 0 CHECK (actual_size >= 0),
    is_public   boolean NOT NULL DEFAULT false,   -- every account sees it while Ready
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX image_images_created ON image_images(created_at, uuid);

CREATE TABLE image_backup_storage_refs (
    image_uuid          text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    backup_storage_uuid text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    status              text NOT NULL DEFAULT 'Downloading' CHECK (status IN ('Downloading', 'Ready')),
    install_path        text NOT NULL DEFAULT '',
    size                bigint NOT NULL DEFAULT 0,
    actual_size         bigint NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (image_uuid, backup_storage_uuid)
);
CREATE INDEX image_backup_storage_refs_bs ON image_backup_storage_refs(backup_storage_uuid);
