-- services/zone/sql/001_init.sql: the zone service's table. Each zone is registered in
-- zs_resources (type Zone) in the same transaction as its row here, and its row goes when
-- the resource goes. owner_uuid is copied from the resource (resources never change owner)
-- so that names can be unique per owner: one account's names reveal nothing to another.

CREATE TABLE zone_zones (
    uuid        text PRIMARY KEY REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    owner_uuid  text NOT NULL,
    name        text NOT NULL CHECK (name <> ''),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT zone_zones_owner_name_key UNIQUE (owner_uuid, name)
);
CREATE INDEX zone_zones_created ON zone_zones(created_at, uuid);
