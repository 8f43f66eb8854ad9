-- services/network/sql/005_ip_key.sql: AllocateIp idempotent by the caller's key (the
-- NIC's uuid, which becomes the address's uuid), and the VM an address is for, so that
-- the addresses of a create the node did not end can be found and given back
-- (ReleaseVmIps).
ALTER TABLE net_used_ips ADD COLUMN vm_uuid text NOT NULL DEFAULT '';
-- allocated under a caller's key: released by that key only (ReleaseIp)
ALTER TABLE net_used_ips ADD COLUMN keyed boolean NOT NULL DEFAULT false;
CREATE INDEX net_used_ips_vm ON net_used_ips(vm_uuid) WHERE vm_uuid <> '';

DROP FUNCTION net_ip_allocate_batch(text[], text[], text[], bigint[]);

-- The batch of 004_times.sql, writing each address's VM and whether its uuid is the
-- caller's key with it (p_vms, p_keyed: in the INSERT, not after it).
CREATE FUNCTION net_ip_allocate_batch(p_uuids text[], p_l3s text[], p_owners text[],
    p_wanted bigint[], p_vms text[], p_keyed boolean[])
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
        SELECT b.u, b.l3, b.o, b.w, b.i
        FROM unnest(p_uuids, p_l3s, p_owners, p_wanted) WITH ORDINALITY AS b(u, l3, o, w, i)),
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
        SELECT want.u, want.l3, want.o, want.w, want.i, d AS rank,
            floor(random() * tot.total)::bigint AS x
        FROM want JOIN tot ON tot.l3 = want.l3, generate_series(1, 3) d
        WHERE d = 1 OR want.w IS NULL),
    cand AS (
        SELECT draw.u, draw.l3, draw.o, draw.i, draw.rank, rg.uuid AS rgu,
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
            owner_uuid, vm_uuid, keyed)
        SELECT pick.u, pick.l3, pick.rgu, host('0.0.0.0'::inet + pick.ip), pick.ip, pick.o,
            p_vms[pick.i], p_keyed[pick.i]
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
        -- the rare one left to a single allocation: its VM and key after it
        UPDATE net_used_ips x SET vm_uuid = p_vms[k], keyed = p_keyed[k]
            WHERE x.uuid = p_uuids[k] AND (p_vms[k] <> '' OR p_keyed[k]);
    END LOOP;
END $$;

-- The batch of network_ip.c: allocations whose key (p_uuids) holds an address already
-- answer that address ('ok'; 'key_used' when it is of another L3) and take no second one
-- (one index lookup for the whole batch: = ANY keeps it an index scan whatever the plan);
-- the others go through net_ip_allocate_batch. One statement, one transaction.
CREATE FUNCTION net_ip_allocate_keyed(p_uuids text[], p_l3s text[], p_owners text[],
    p_wanted bigint[], p_vms text[], p_keyed boolean[])
RETURNS TABLE (outcome text, uuid text, l3_network_uuid text, ip_range_uuid text, ip text,
    gateway text, netmask text, owner_uuid text, create_date timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    held text[];
    idx int[];
BEGIN
    IF true = ANY(p_keyed) THEN
        SELECT array_agg(x.uuid) INTO held FROM net_used_ips x WHERE x.uuid = ANY(p_uuids);
    END IF;
    IF held IS NULL THEN
        RETURN QUERY SELECT * FROM net_ip_allocate_batch(p_uuids, p_l3s, p_owners, p_wanted,
            p_vms, p_keyed);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT CASE WHEN x.l3_network_uuid = p_l3s[array_position(p_uuids, x.uuid)] THEN 'ok'
        ELSE 'key_used' END::text, x.uuid, x.l3_network_uuid, x.ip_range_uuid, x.ip,
        g.gateway, g.netmask, x.owner_uuid, x.created_at
    FROM net_used_ips x JOIN net_ip_ranges g ON g.uuid = x.ip_range_uuid
    WHERE x.uuid = ANY(held);
    SELECT array_agg(b.i ORDER BY b.i) INTO idx FROM unnest(p_uuids) WITH ORDINALITY AS b(u, i)
        WHERE NOT (b.u = ANY(held));
    IF idx IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM net_ip_allocate_batch(
        ARRAY(SELECT p_uuids[k] FROM unnest(idx) WITH ORDINALITY AS o(k, n) ORDER BY n),
        ARRAY(SELECT p_l3s[k] FROM unnest(idx) WITH ORDINALITY AS o(k, n) ORDER BY n),
        ARRAY(SELECT p_owners[k] FROM unnest(idx) WITH ORDINALITY AS o(k, n) ORDER BY n),
        ARRAY(SELECT p_wanted[k] FROM unnest(idx) WITH ORDINALITY AS o(k, n) ORDER BY n),
        ARRAY(SELECT p_vms[k] FROM unnest(idx) WITH ORDINALITY AS o(k, n) ORDER BY n),
        ARRAY(SELECT p_keyed[k] FROM unnest(idx) WITH ORDINALITY AS o(k, n) ORDER BY n));
END $$;
