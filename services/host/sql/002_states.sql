-- services/host/sql/002_states.sql: a host's state may also be PreMaintenance and
-- Maintenance (ChangeHostState of the kvm plugin).
ALTER TABLE host_hosts DROP CONSTRAINT host_hosts_state_check;
ALTER TABLE host_hosts ADD CONSTRAINT host_hosts_state_check
    CHECK (state IN ('Enabled', 'Disabled', 'PreMaintenance', 'Maintenance'));
