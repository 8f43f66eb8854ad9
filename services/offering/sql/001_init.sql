-- services/offering/sql/001_init.sql: the offering service's table. Each offering is
-- registered in zs_resources (type InstanceOffering, no parent) in the same transaction
-- as its row here. Names are unique per owner; the size is checked here as well as by
-- the service, so no row can hold a size a VM could not have.

CREATE TABLE offering_instance_offerings (
    uuid               text PRIMARY KEY REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    owner_uuid         text NOT NULL,
    name               text NOT NULL CHECK (name <> ''),
    description        text NOT NULL DEFAULT '',
    cpu_num            integer NOT NULL CHECK (cpu_num BETWEEN 1 AND 1024),
    memory_size        bigint NOT NULL CHECK (memory_size BETWEEN 16777216 AND 17592186044416),
    allocator_strategy text NOT NULL,
    type               text NOT NULL DEFAULT 'UserVm',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT offering_instance_offerings_owner_name_key UNIQUE (owner_uuid, name)
);
CREATE INDEX offering_instance_offerings_created ON offering_instance_offerings(created_at, uuid);
