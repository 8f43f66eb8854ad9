-- services/kvm/sql/001_init.sql: the kvm plugin's tables. Both go with the host's
-- resource (so with DeleteHost, its cluster or zone). host_hosts (the host service's)
-- keeps state and status; the kvm plugin writes its status column, as ZStack's KVM
-- host does, and the host service widens its state check (002_states.sql).

CREATE TABLE kvm_hosts (
    uuid           text PRIMARY KEY REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    username       text NOT NULL,
    ssh_port       integer NOT NULL,
    status_reason  text NOT NULL DEFAULT '',
    agent_version  text NOT NULL DEFAULT '',
    ping_failures  integer NOT NULL DEFAULT 0
);

-- Written only when the host connects (all of it from one /host/capacity answer).
CREATE TABLE kvm_host_capacity (
    uuid             text PRIMARY KEY REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    total_cpu        bigint NOT NULL CHECK (total_cpu >= 0),
    available_cpu    bigint NOT NULL,
    total_memory     bigint NOT NULL CHECK (total_memory >= 0),
    available_memory bigint NOT NULL,
    reserved_memory  bigint NOT NULL CHECK (reserved_memory >= 0),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
