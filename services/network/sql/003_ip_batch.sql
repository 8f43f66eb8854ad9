-- services/network/sql/003_ip_batch.sql: a whole batch of IP allocations in one INSERT
-- (network_ip.c calls it once a transaction). Element k of the arrays is one allocation,
-- as net_ip_allocate's arguments: its uuid, L3, owner, and the address wanted (NULL: any).
-- One row an allocation, found by its uuid (the order is not the arrays').
--
-- Each allocation draws three random addresses of its L3's ranges (the wanted one alone
-- when it wants one); the draws already in use (an index probe each) are dropped, each
-- address goes to one allocation, each allocation takes its first draw left, and one
-- INSERT ... ON CONFLICT DO NOTHING takes them all (a concurrent batch may still win an
-- address: that allocation is left out). An allocation left without an address (its three
-- draws taken: an L3 filling up), a wanted address that was taken or is in no range, and
-- an L3 with no range (or none at all) then run net_ip_allocate alone, which says why and
-- picks among the free addresses of a nearly full L3. Picks are inserted in (L3, address)
-- order, so two batches (leaders, nodes) cannot deadlock on the unique index.
-- Plans stay custom (made for each batch's values): a generic plan made while the table
-- was small kept a sequential scan of it for the connection's life.
-- (One net_ip_allocate an allocation, as before, planned and ran a range lookup and an
-- INSERT for each.)
CREATE FUNCTION net_ip_allocate_batch(p_uuids text[], p_l3s text[], p_owners text[],
    p_wanted bigint[])
RETURNS TABLE (outcome text, uuid text, l3_network_uuid text, ip_range_uuid text, ip text,
    gateway text, netmask text, owner_uuid text, created_unix_ms bigint)
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
        (extract(epoch FROM ins.created_at) * 1000)::bigint
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
            a.gateway, a.netmask, a.owner_uuid, a.created_unix_ms
            FROM net_ip_allocate(p_uuids[k], p_l3s[k], p_owners[k], p_wanted[k]) a;
    END LOOP;
END $$;
