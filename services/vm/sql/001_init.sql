-- services/vm/sql/001_init.sql: the VM service's tables. A VM is registered in
-- zs_resources (type VmInstance, no parent); its NICs and the list of its data volumes go
-- with it. Its host capacity is the host service's reservation under (vm, host); its
-- volumes are the volume service's, its addresses the network service's.

CREATE TABLE vm_instances (
    uuid                   text PRIMARY KEY REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    owner_uuid             text NOT NULL,
    name                   text NOT NULL CHECK (name <> ''),
    description            text NOT NULL DEFAULT '',
    zone_uuid              text NOT NULL DEFAULT '',
    cluster_uuid           text NOT NULL DEFAULT '',
    host_uuid              text NOT NULL DEFAULT '',
    last_host_uuid         text NOT NULL DEFAULT '',
    image_uuid             text NOT NULL DEFAULT '',
    instance_offering_uuid text NOT NULL DEFAULT '',
    cpu_num                bigint NOT NULL CHECK (cpu_num > 0),
    memory_size            bigint NOT NULL CHECK (memory_size > 0),
    root_volume_uuid       text NOT NULL DEFAULT '',
    state                  text NOT NULL CHECK (state IN ('Created', 'Starting', 'Running',
        'Stopping', 'Stopped', 'Rebooting', 'Pausing', 'Paused', 'Resuming', 'Destroying',
        'Destroyed', 'Expunging', 'Migrating', 'Unknown')),
    hypervisor_type        text NOT NULL DEFAULT 'KVM',
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vm_instances_owner ON vm_instances(owner_uuid);
CREATE INDEX vm_instances_created ON vm_instances(created_at, uuid);
CREATE INDEX vm_instances_host ON vm_instances(host_uuid);
CREATE INDEX vm_instances_state ON vm_instances(state);
CREATE INDEX vm_instances_name ON vm_instances(name);

-- MACs are unique: a repeat of the random part is caught here and made again.
CREATE TABLE vm_nics (
    uuid             text PRIMARY KEY,
    vm_instance_uuid text NOT NULL REFERENCES vm_instances(uuid) ON DELETE CASCADE,
    owner_uuid       text NOT NULL,
    l3_network_uuid  text NOT NULL,
    ip               text NOT NULL DEFAULT '',
    netmask          text NOT NULL DEFAULT '',
    gateway          text NOT NULL DEFAULT '',
    mac              text NOT NULL UNIQUE,
    bridge_name      text NOT NULL DEFAULT '',
    device_id        integer NOT NULL CHECK (device_id >= 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (vm_instance_uuid, device_id)
);
CREATE INDEX vm_nics_ip ON vm_nics(ip);
CREATE INDEX vm_nics_l3 ON vm_nics(l3_network_uuid);

CREATE TABLE vm_data_volumes (
    vm_instance_uuid text NOT NULL REFERENCES vm_instances(uuid) ON DELETE CASCADE,
    volume_uuid      text NOT NULL UNIQUE,
    device_id        integer NOT NULL,
    PRIMARY KEY (vm_instance_uuid, device_id)
);
