-- The node's own tables: accounts and sessions, the resources every service's rows are
-- registered in (owner, parent for the zone/cluster/host chain), tags, global config
-- values and jobs.

CREATE TABLE zs_accounts (
    uuid          text PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    admin         boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE zs_sessions (
    token_hash   text PRIMARY KEY,
    account_uuid text NOT NULL REFERENCES zs_accounts(uuid) ON DELETE CASCADE,
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX zs_sessions_account ON zs_sessions(account_uuid);

CREATE TABLE zs_resources (
    uuid        text PRIMARY KEY,
    type        text NOT NULL,
    name        text NOT NULL DEFAULT '',
    owner_uuid  text NOT NULL REFERENCES zs_accounts(uuid),
    parent_uuid text REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    state       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX zs_resources_owner ON zs_resources(owner_uuid);
CREATE INDEX zs_resources_parent ON zs_resources(parent_uuid);

CREATE TABLE zs_tags (
    uuid          text PRIMARY KEY,
    resource_uuid text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    resource_type text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('system', 'user')),
    tag           text NOT NULL,
    pattern       text NOT NULL DEFAULT '',
    owner_uuid    text NOT NULL REFERENCES zs_accounts(uuid) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (resource_uuid, kind, tag)
);
CREATE INDEX zs_tags_tag ON zs_tags(tag);

CREATE TABLE zs_global_configs (
    category   text NOT NULL,
    name       text NOT NULL,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (category, name)
);

CREATE TABLE zs_jobs (
    uuid        text PRIMARY KEY,
    method      text NOT NULL,
    owner_uuid  text NOT NULL REFERENCES zs_accounts(uuid) ON DELETE CASCADE,
    node_id     text NOT NULL,
    state       text NOT NULL CHECK (state IN ('RUNNING', 'SUCCEEDED', 'FAILED')),
    progress    integer NOT NULL DEFAULT 0,
    message     text NOT NULL DEFAULT '',
    status      bytea,
    result_type text NOT NULL DEFAULT '',
    result      bytea,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX zs_jobs_owner ON zs_jobs(owner_uuid);
