-- services/network/sql/001_init.sql: the network service's tables. L2 networks (parent: a
-- zone), L3 networks (parent: an L2) and IP ranges (parent: an L3) are registered in
-- zs_resources in the same transaction as their rows here, and their rows go when the
-- resource goes, so deleting a zone takes its L2s, their L3s and ranges. Used addresses
-- are not resources: they go with their range (a trigger) or their L3 (its foreign key).

CREATE TABLE net_l2_networks (
    uuid               text PRIMARY KEY REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    zone_uuid          text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    owner_uuid         text NOT NULL,
    name               text NOT NULL CHECK (name <> ''),
    description        text NOT NULL DEFAULT '',
    type               text NOT NULL CHECK (type IN ('L2NoVlanNetwork', 'L2VlanNetwork')),
    physical_interface text NOT NULL CHECK (physical_interface <> ''),
    vlan               integer CHECK (vlan BETWEEN 1 AND 4094),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((type = 'L2VlanNetwork') = (vlan IS NOT NULL)),
    -- one L2 per interface and VLAN in a zone: two would share a bridge on each host
    CONSTRAINT net_l2_networks_zone_iface_vlan_key
        UNIQUE NULLS NOT DISTINCT (zone_uuid, physical_interface, vlan)
);
CREATE INDEX net_l2_networks_owner ON net_l2_networks(owner_uuid);
CREATE INDEX net_l2_networks_created ON net_l2_networks(created_at, uuid);

-- Which clusters an L2 is attached to (every Connected host there has its bridge).
CREATE TABLE net_l2_cluster_refs (
    l2_network_uuid text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    cluster_uuid    text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (l2_network_uuid, cluster_uuid)
);
CREATE INDEX net_l2_cluster_refs_cluster ON net_l2_cluster_refs(cluster_uuid);

CREATE TABLE net_l3_networks (
    uuid            text PRIMARY KEY REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    l2_network_uuid text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    zone_uuid       text NOT NULL,
    owner_uuid      text NOT NULL,
    name            text NOT NULL CHECK (name <> ''),
    description     text NOT NULL DEFAULT '',
    type            text NOT NULL CHECK (type IN ('L3BasicNetwork')),
    category        text NOT NULL CHECK (category IN ('Private', 'Public', 'System')),
    dns             text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX net_l3_networks_l2 ON net_l3_networks(l2_network_uuid);
CREATE INDEX net_l3_networks_owner ON net_l3_networks(owner_uuid);
CREATE INDEX net_l3_networks_created ON net_l3_networks(created_at, uuid);

-- Addresses are kept as text (as shown) and as numbers (host order) for the checks.
CREATE TABLE net_ip_ranges (
    uuid            text PRIMARY KEY REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    l3_network_uuid text NOT NULL REFERENCES zs_resources(uuid) ON DELETE CASCADE,
    owner_uuid      text NOT NULL,
    name            text NOT NULL CHECK (name <> ''),
    description     text NOT NULL DEFAULT '',
    start_ip        text NOT NULL,
    end_ip          text NOT NULL,
    gateway         text NOT NULL,
    netmask         text NOT NULL,
    network_cidr    text NOT NULL,
    ip_version      integer NOT NULL DEFAULT 4,
    start_int       bigint NOT NULL,
    end_int         bigint NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (start_int <= end_int)
);
CREATE INDEX net_ip_ranges_l3 ON net_ip_ranges(l3_network_uuid, start_int);
CREATE INDEX net_ip_ranges_created ON net_ip_ranges(created_at, uuid);

-- A new range of an L3: no overlap with its other ranges, and their gateway and netmask
-- (ZStack's checks). The L3's registry row is locked first, so two ranges added at once
-- are checked one after the other. Errors are data exceptions: INVALID_ARGUMENT.
CREATE FUNCTION net_ip_ranges_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o net_ip_ranges%ROWTYPE;
BEGIN
    PERFORM 1 FROM zs_resources WHERE uuid = NEW.l3_network_uuid FOR UPDATE;
    SELECT * INTO o FROM net_ip_ranges WHERE l3_network_uuid = NEW.l3_network_uuid
        AND start_int <= NEW.end_int AND end_int >= NEW.start_int AND uuid <> NEW.uuid LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the range %-% overlaps ip range % (%-%) of L3 network %',
            NEW.start_ip, NEW.end_ip, o.uuid, o.start_ip, o.end_ip, NEW.l3_network_uuid
            USING ERRCODE = '22023';
    END IF;
    SELECT * INTO o FROM net_ip_ranges WHERE l3_network_uuid = NEW.l3_network_uuid
        AND (gateway <> NEW.gateway OR netmask <> NEW.netmask) AND uuid <> NEW.uuid LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'gateway % and netmask % differ from those of ip range % (% and %) of '
            'L3 network %: the ranges of an L3 network share them',
            NEW.gateway, NEW.netmask, o.uuid, o.gateway, o.netmask, NEW.l3_network_uuid
            USING ERRCODE = '22023';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER net_ip_ranges_check BEFORE INSERT ON net_ip_ranges
    FOR EACH ROW EXECUTE FUNCTION net_ip_ranges_check();

-- Addresses given out. (l3, ip) is unique: one address is never given twice, whatever
-- runs at once. No foreign key (its check per insert halved the allocation rate): an
-- address goes with its range (the trigger below), and so with its L3, L2 and zone.
CREATE TABLE net_used_ips (
    uuid            text PRIMARY KEY,
    l3_network_uuid text NOT NULL,
    ip_range_uuid   text NOT NULL,
    ip              text NOT NULL,
    ip_int          bigint NOT NULL,
    owner_uuid      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT net_used_ips_l3_ip_key UNIQUE (l3_network_uuid, ip_int)
);

-- A range's addresses go with it (released, as ZStack does), found through the unique
-- index rather than one more index on every insert.
CREATE FUNCTION net_ip_ranges_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM net_used_ips WHERE l3_network_uuid = OLD.l3_network_uuid
        AND ip_int BETWEEN OLD.start_int AND OLD.end_int;
    RETURN OLD;
END $$;
CREATE TRIGGER net_ip_ranges_release AFTER DELETE ON net_ip_ranges
    FOR EACH ROW EXECUTE FUNCTION net_ip_ranges_release();

-- Allocates an address of L3 p_l3 for p_owner as p_uuid: p_wanted, or (NULL) a random
-- free one, as ZStack's default strategy. network_ip.c calls it for each allocation of a
-- batch, in one statement (one transaction).
-- outcome: 'ok' (and the row), 'no_l3', 'no_range' (the L3 has none), 'outside' (no range
-- holds p_wanted), 'used' (p_wanted is taken), 'exhausted' (every address is taken).
-- Random picks rarely collide while the ranges are not nearly full; after 8 misses it
-- takes a random free address (an L3 of at most 4,096 addresses: all are listed) or the
-- free address nearest after a random point (gaps in the used ones), and 'exhausted'
-- only when there is none. A concurrent insert of the same address waits on
-- the unique index and then loses: never twice.
CREATE FUNCTION net_ip_allocate(p_uuid text, p_l3 text, p_owner text, p_wanted bigint)
RETURNS TABLE (outcome text, uuid text, l3_network_uuid text, ip_range_uuid text, ip text,
    gateway text, netmask text, owner_uuid text, created_unix_ms bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    rgs net_ip_ranges[];
    rg net_ip_ranges;
    total bigint := 0;
    pick bigint;
    pivot bigint;
    tries int := 0;
    inside boolean;
    v_ip text;
    v_at timestamptz;
BEGIN
    SELECT array_agg(r ORDER BY r.start_int) INTO rgs FROM net_ip_ranges r
        WHERE r.l3_network_uuid = p_l3;
    IF rgs IS NULL THEN
        IF NOT EXISTS (SELECT 1 FROM net_l3_networks l WHERE l.uuid = p_l3) THEN
            RETURN QUERY SELECT 'no_l3'::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL::bigint;
        ELSE
            RETURN QUERY SELECT 'no_range'::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL::bigint;
        END IF;
        RETURN;
    END IF;
    FOREACH rg IN ARRAY rgs LOOP
        total := total + rg.end_int - rg.start_int + 1;
    END LOOP;
    LOOP
        IF p_wanted IS NOT NULL THEN
            pick := p_wanted;
        ELSIF tries < 8 THEN
            pick := floor(random() * total)::bigint;   -- an offset over all ranges
            FOREACH rg IN ARRAY rgs LOOP
                EXIT WHEN pick <= rg.end_int - rg.start_int;
                pick := pick - (rg.end_int - rg.start_int + 1);
            END LOOP;
            pick := rg.start_int + pick;
        ELSIF total <= 4096 THEN
            -- a nearly full small L3: a random one of its free addresses
            SELECT s INTO pick FROM unnest(rgs) x, generate_series((x).start_int, (x).end_int) s
                WHERE NOT EXISTS (SELECT 1 FROM net_used_ips u WHERE u.l3_network_uuid = p_l3
                    AND u.ip_int = s)
                ORDER BY random() LIMIT 1;
            IF NOT FOUND THEN
                RETURN QUERY SELECT 'exhausted'::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                    NULL::bigint;
                RETURN;
            END IF;
        ELSE
            -- free addresses are range starts not used and used addresses' successors
            -- not used; the first at or after a random point, else the first of all
            pivot := rgs[1].start_int + floor(random() * total)::bigint;
            SELECT c INTO pick FROM (
                SELECT (x).start_int AS c FROM unnest(rgs) x WHERE NOT EXISTS (SELECT 1
                    FROM net_used_ips u WHERE u.l3_network_uuid = p_l3 AND u.ip_int = (x).start_int)
                UNION ALL
                SELECT u.ip_int + 1 FROM net_used_ips u JOIN unnest(rgs) x
                    ON u.ip_int >= (x).start_int AND u.ip_int < (x).end_int
                    WHERE u.l3_network_uuid = p_l3 AND NOT EXISTS (SELECT 1 FROM net_used_ips v
                        WHERE v.l3_network_uuid = p_l3 AND v.ip_int = u.ip_int + 1)) gaps
                ORDER BY (c < pivot), c LIMIT 1;
            IF NOT FOUND THEN
                RETURN QUERY SELECT 'exhausted'::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                    NULL::bigint;
                RETURN;
            END IF;
        END IF;
        inside := false;
        FOREACH rg IN ARRAY rgs LOOP
            inside := rg.start_int <= pick AND rg.end_int >= pick;
            EXIT WHEN inside;
        END LOOP;
        IF NOT inside THEN
            RETURN QUERY SELECT 'outside'::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL::bigint;
            RETURN;
        END IF;
        INSERT INTO net_used_ips AS n (uuid, l3_network_uuid, ip_range_uuid, ip, ip_int, owner_uuid)
            VALUES (p_uuid, p_l3, rg.uuid, host('0.0.0.0'::inet + pick), pick, p_owner)
            ON CONFLICT ON CONSTRAINT net_used_ips_l3_ip_key DO NOTHING
            RETURNING n.ip, n.created_at INTO v_ip, v_at;
        IF FOUND THEN
            RETURN QUERY SELECT 'ok'::text, p_uuid, p_l3, rg.uuid, v_ip, rg.gateway,
                rg.netmask, p_owner, (extract(epoch FROM v_at) * 1000)::bigint;
            RETURN;
        END IF;
        IF p_wanted IS NOT NULL THEN
            RETURN QUERY SELECT 'used'::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL::bigint;
            RETURN;
        END IF;
        tries := tries + 1;
    END LOOP;
END $$;

