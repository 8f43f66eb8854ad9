-- services/network/sql/003_ip_batch.sql: a whole batch of IP allocations in one INSERT
-- (network_ip.c calls it once a transaction). Element k of the arrays is one allocation,
-- as net_ip_allocate's arguments: its uuid, L3, owner, and the address wanted (NULL: any).
-- One row an allocation, found by its uuid (the order is not the arrays').
--
-- Every allocation of the batch picks a random address of its L3's ranges (the wanted one
-- as is), and one INSERT ... ON CONFLICT DO NOTHING takes them all: a pick that collides
-- (with a used address, or with another pick of the batch) is left out. Those left get a
-- second random round; an allocation still without an address, a wanted address that was
-- taken or is in no range, and an L3 with no range (or none at all) then run
-- net_ip_allocate alone, which says why, and picks among the free addresses of a nearly
-- full L3. Picks are inserted in (L3, address) order, so two nodes' batches cannot deadlock
-- on the unique index. (One net_ip_allocate an allocation, as before, cost twice the
-- PostgreSQL CPU: a plan, a range lookup and an INSERT for each.)
CREATE FUNCTION net_ip_allocate_batch(p_uuids text[], p_l3s text[], p_owners text[],
    p_wanted bigint[])
RETURNS TABLE (outcome text, uuid text, l3_network_uuid text, ip_range_uuid text, ip text,
    gateway text, netmask text, owner_uuid text, created_unix_ms bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    todo bigint[];      -- the allocations still without an outcome (NULL: all of them)
    got bigint;
    k bigint;
BEGIN
    FOR round IN 1 .. 2 LOOP
        RETURN QUERY
        WITH want AS (
            SELECT b.u, b.l3, b.o, b.w, random() AS r
            FROM unnest(p_uuids, p_l3s, p_owners, p_wanted) WITH ORDINALITY AS b(u, l3, o, w, i)
            WHERE todo IS NULL OR (b.i = ANY (todo) AND b.w IS NULL)),
        -- the ranges of those L3s, each with its offset among its L3's addresses
        rg AS MATERIALIZED (
            SELECT g.uuid, g.l3_network_uuid, g.start_int, g.end_int, g.gateway, g.netmask,
                (sum(g.end_int - g.start_int + 1) OVER w)::bigint
                    - (g.end_int - g.start_int + 1) AS off,
                (sum(g.end_int - g.start_int + 1) OVER (PARTITION BY g.l3_network_uuid))::bigint
                    AS total
            FROM net_ip_ranges g WHERE g.l3_network_uuid IN (SELECT DISTINCT l3 FROM want)
            WINDOW w AS (PARTITION BY g.l3_network_uuid ORDER BY g.start_int)),
        ins AS (
            INSERT INTO net_used_ips AS n (uuid, l3_network_uuid, ip_range_uuid, ip, ip_int,
                owner_uuid)
            SELECT p.u, p.l3, p.rgu, host('0.0.0.0'::inet + p.ip), p.ip, p.o FROM (
                SELECT want.u, want.l3, want.o, rg.uuid AS rgu,
                    coalesce(want.w, rg.start_int + floor(want.r * rg.total)::bigint - rg.off)
                        AS ip
                FROM want JOIN rg ON rg.l3_network_uuid = want.l3
                WHERE CASE WHEN want.w IS NULL
                    THEN floor(want.r * rg.total)::bigint - rg.off
                        BETWEEN 0 AND rg.end_int - rg.start_int
                    ELSE want.w BETWEEN rg.start_int AND rg.end_int END) p
            ORDER BY p.l3, p.ip
            ON CONFLICT ON CONSTRAINT net_used_ips_l3_ip_key DO NOTHING
            RETURNING n.uuid, n.l3_network_uuid, n.ip_range_uuid, n.ip, n.owner_uuid,
                n.created_at)
        SELECT 'ok'::text, ins.uuid, ins.l3_network_uuid, ins.ip_range_uuid, ins.ip,
            rg.gateway, rg.netmask, ins.owner_uuid,
            (extract(epoch FROM ins.created_at) * 1000)::bigint
        FROM ins JOIN rg ON rg.uuid = ins.ip_range_uuid;
        GET DIAGNOSTICS got = ROW_COUNT;
        IF got = coalesce(cardinality(todo), cardinality(p_uuids)) THEN
            RETURN;
        END IF;
        todo := ARRAY(SELECT b.i FROM unnest(p_uuids) WITH ORDINALITY AS b(u, i)
            WHERE (todo IS NULL OR b.i = ANY (todo))
                AND NOT EXISTS (SELECT 1 FROM net_used_ips x WHERE x.uuid = b.u));
    END LOOP;
    FOREACH k IN ARRAY todo LOOP
        RETURN QUERY SELECT a.outcome, p_uuids[k], a.l3_network_uuid, a.ip_range_uuid, a.ip,
            a.gateway, a.netmask, a.owner_uuid, a.created_unix_ms
            FROM net_ip_allocate(p_uuids[k], p_l3s[k], p_owners[k], p_wanted[k]) a;
    END LOOP;
END $$;
