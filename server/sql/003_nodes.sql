-- Node heartbeats: each node writes its row every node.heartbeat_interval and removes it
-- when it stops. Jobs RUNNING on a node whose row is missing or older than
-- node.heartbeat_timeout end FAILED ("the node running the job stopped"): the node died.
CREATE TABLE zs_nodes (
    id          text PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now()
);

-- The sweep looks only at running jobs.
CREATE INDEX zs_jobs_running ON zs_jobs(node_id) WHERE state = 'RUNNING';
