-- services/vm/sql/002_migrate_dst.sql: the host a Migrating VM is moving to, written once
-- that host holds the VM's capacity and before the source's agent is asked to move it, so
-- that a node stopped in the middle can ask both hosts where the VM runs and give back
-- the other's capacity (vm_reconcile_mig.c). '' when the VM is not migrating.
ALTER TABLE vm_instances ADD COLUMN migrate_dst_uuid text NOT NULL DEFAULT '';
