-- The event log: events written in a change's transaction (zs_event_publish_tx), sent
-- after the commit by each node's event sender and kept for event/retention so they can
-- be replayed (zs.event.v1.Events/Replay).
--
-- id orders inserts, but transactions commit out of id order, so id is not what
-- subscribers see. seq is given when a sender first sees the committed row: under the
-- row lock of zs_event_counter, rows without seq get last_seq + 1, + 2, ... in id order
-- and last_seq moves by as many, in one transaction. So seq is gap-free and increasing
-- over every node of the database, and never reused after rows are swept away.

CREATE TABLE zs_event_log (
    id            bigserial PRIMARY KEY,
    seq           bigint UNIQUE,              -- NULL until numbered
    topic         text NOT NULL,
    resource_uuid text NOT NULL DEFAULT '',
    owner_uuid    text NOT NULL DEFAULT '',   -- who may replay it; '': admins only
    node_id       text NOT NULL,              -- the node that wrote it
    type          text NOT NULL DEFAULT '',   -- the body's message type
    body          bytea NOT NULL DEFAULT '',
    body_json     text NOT NULL DEFAULT '',   -- the body in proto3 JSON ('': none)
    time_ms       bigint NOT NULL             -- when it was written (unix ms)
);
CREATE INDEX zs_event_log_unnumbered ON zs_event_log (id) WHERE seq IS NULL;
CREATE INDEX zs_event_log_time ON zs_event_log (time_ms);
CREATE INDEX zs_event_log_owner ON zs_event_log (owner_uuid, seq);

CREATE TABLE zs_event_counter (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    last_seq bigint NOT NULL
);
INSERT INTO zs_event_counter (one, last_seq) VALUES (true, 0);
