-- services/network/sql/004_times.sql: net_ip_allocate and net_ip_allocate_batch answer
-- when the address was taken as the timestamptz create_date (a google.protobuf.Timestamp
-- in UsedIpInfo), no longer as milliseconds: the same functions otherwise.
DROP FUNCTION net_ip_allocate_batch(text[], text[], text[], bigint[]);
DROP FUNCTION net_ip_allocate(text, text, text, bigint);

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
    gateway text, netmask text, owner_uuid text, create_date timestamptz)
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
            RETURN QUERY SELECT 'no_l3'::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL::timestamptz;
        ELSE
            RETURN QUERY SELECT 'no_range'::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL::timestamptz;
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
                    NULL::timestamptz;
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
                    NULL::timestamptz;
                RETURN;
            END IF;
        END IF;
        inside := false;
        FOREACH rg IN ARRAY rgs LOOP
            inside := rg.start_int <= pick AND rg.end_int >= pick;
            EXIT WHEN inside;
        END LOOP;
        IF NOT inside THEN
            RETURN QUERY SELECT 'outside'::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL::timestamptz;
            RETURN;
        END IF;
        INSERT INTO net_used_ips AS n (uuid, l3_network_uuid, ip_range_uuid, ip, ip_int, owner_uuid)
            VALUES (p_uuid, p_l3, rg.uuid, host('0.0.0.0'::inet + pick), pick, p_owner)
            ON CONFLICT ON CONSTRAINT net_used_ips_l3_ip_key DO NOTHING
            RETURNING n.ip, n.created_at INTO v_ip, v_at;
        IF FOUND THEN
            RETURN QUERY SELECT 'ok'::text, p_uuid, p_l3, rg.uuid, v_ip, rg.gateway,
                rg.netmask, p_owner, v_at;
            RETURN;
        END IF;
        IF p_wanted IS NOT NULL THEN
            RETURN QUERY SELECT 'used'::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL::timestamptz;
            RETURN;
        END IF;
        tries := tries + 1;
    END LOOP;
END $$;

-- The batch (003_ip_batch.sql), answering create_date as net_ip_allocate now does.
CREATE FUNCTION net_ip_allocate_batch(p_uuids text[], p_l3s text[], p_owners text[],
    p_wanted bigint[])
RETURNS TABLE (outcome text, uuid text, l3_network_uuid text, ip_range_uuid text, ip text,
    gateway text, netmask text, owner_uuid text, create_date timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    got bigint;
    left_ bigint[];     -- the allocations the INSERT left without an address
    k bigint;
BEGIN
    RETURN QUERY
    WITH want AS (
        SELECT b.u, b.l3, b.o, b.w
        FROM unnest(p_uuids, p_l3s, p_owners, p_wanted) AS b(u, l3, o, w)),
    -- the ranges of those L3s, each with its offset among its L3's addresses
    rg AS MATERIALIZED (
        SELECT g.uuid, g.l3_network_uuid, g.start_int, g.end_int, g.gateway, g.netmask,
            (sum(g.end_int - g.start_int + 1) OVER w)::bigint
                - (g.end_int - g.start_int + 1) AS off,
            (sum(g.end_int - g.start_int + 1) OVER (PARTITION BY g.l3_network_uuid))::bigint
                AS total
        FROM net_ip_ranges g WHERE g.l3_network_uuid IN (SELECT DISTINCT l3 FROM want)
        WINDOW w AS (PARTITION BY g.l3_network_uuid ORDER BY g.start_int)),
    tot AS (SELECT DISTINCT rg.l3_network_uuid AS l3, rg.total FROM rg),
    draw AS MATERIALIZED (
        SELECT want.u, want.l3, want.o, want.w, d AS rank,
            floor(random() * tot.total)::bigint AS x
        FROM want JOIN tot ON tot.l3 = want.l3, generate_series(1, 3) d
        WHERE d = 1 OR want.w IS NULL),
    cand AS (
        SELECT draw.u, draw.l3, draw.o, draw.rank, rg.uuid AS rgu,
            coalesce(draw.w, rg.start_int + draw.x - rg.off) AS ip
        FROM draw JOIN rg ON rg.l3_network_uuid = draw.l3
        WHERE CASE WHEN draw.w IS NOT NULL THEN draw.w BETWEEN rg.start_int AND rg.end_int
            ELSE draw.x - rg.off BETWEEN 0 AND rg.end_int - rg.start_int END),
    -- draws not in use, each address for one allocation, the first left of each
    unused AS (
        SELECT DISTINCT ON (cand.l3, cand.ip) cand.* FROM cand
        WHERE NOT EXISTS (SELECT 1 FROM net_used_ips x WHERE x.l3_network_uuid = cand.l3
            AND x.ip_int = cand.ip)
        ORDER BY cand.l3, cand.ip, cand.rank, cand.u),
    pick AS (
        SELECT DISTINCT ON (unused.u) unused.* FROM unused ORDER BY unused.u, unused.rank),
    ins AS (
        INSERT INTO net_used_ips AS n (uuid, l3_network_uuid, ip_range_uuid, ip, ip_int,
            owner_uuid)
        SELECT pick.u, pick.l3, pick.rgu, host('0.0.0.0'::inet + pick.ip), pick.ip, pick.o
        FROM pick ORDER BY pick.l3, pick.ip
        ON CONFLICT ON CONSTRAINT net_used_ips_l3_ip_key DO NOTHING
        RETURNING n.uuid, n.l3_network_uuid, n.ip_range_uuid, n.ip, n.owner_uuid,
            n.created_at)
    SELECT 'ok'::text, ins.uuid, ins.l3_network_uuid, ins.ip_range_uuid, ins.ip,
        rg.gateway, rg.netmask, ins.owner_uuid,
        ins.created_at
    FROM ins JOIN rg ON rg.uuid = ins.ip_range_uuid;
    GET DIAGNOSTICS got = ROW_COUNT;
    IF got = cardinality(p_uuids) THEN
        RETURN;
    END IF;
    EXECUTE 'SELECT array_agg(b.i) FROM unnest($1) WITH ORDINALITY AS b(u, i) '
        'WHERE NOT EXISTS (SELECT 1 FROM net_used_ips x WHERE x.uuid = b.u)'
        INTO left_ USING p_uuids;
    FOREACH k IN ARRAY coalesce(left_, '{}') LOOP
        RETURN QUERY SELECT a.outcome, p_uuids[k], a.l3_network_uuid, a.ip_range_uuid, a.ip,
            a.gateway, a.netmask, a.owner_uuid, a.create_date
            FROM net_ip_allocate(p_uuids[k], p_l3s[k], p_owners[k], p_wanted[k]) a;
    END LOOP;
END $$;
