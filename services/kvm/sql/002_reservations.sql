-- services/kvm/sql/002_reservations.sql: what each VM holds on a KVM host (the host
-- allocator's reservations). One row per (vm, host): a VM being live-migrated holds on
-- two hosts at once. A reservation goes with its host. The host's capacity row counts
-- them: available_cpu = total_cpu - sum(cpu), available_memory = total_memory -
-- reserved_memory - sum(memory) and vms = count(*), changed in the same transaction as the rows (by
-- conditional UPDATEs that never over-commit), and recomputed from them on each connect.
CREATE TABLE kvm_vm_reservations (
    vm_uuid    text NOT NULL,
    host_uuid  text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    cpu        bigint NOT NULL CHECK (cpu > 0),
    memory     bigint NOT NULL CHECK (memory > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (vm_uuid, host_uuid)
);
CREATE INDEX kvm_vm_reservations_host ON kvm_vm_reservations(host_uuid);

-- How many reservations the host holds, kept with the figures (the allocator's least-VMs
-- sorter reads it for every candidate, so it is not counted each time).
ALTER TABLE kvm_host_capacity ADD COLUMN vms bigint NOT NULL DEFAULT 0 CHECK (vms >= 0);
