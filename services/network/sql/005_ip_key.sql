-- services/network/sql/005_ip_key.sql: AllocateIp idempotent by the caller's key (the
-- NIC's uuid, which becomes the address's uuid), and the VM an address is for, so that
-- the addresses of a create the node did not end can be found and given back
-- (ReleaseVmIps).
ALTER TABLE net_used_ips ADD COLUMN vm_uuid text NOT NULL DEFAULT '';
-- allocated under a caller's key: released by that key only (ReleaseIp)
ALTER TABLE net_used_ips ADD COLUMN keyed boolean NOT NULL DEFAULT false;
CREATE INDEX net_used_ips_vm ON net_used_ips(vm_uuid) WHERE vm_uuid <> '';

-- The batch of network_ip.c: allocations whose key (p_uuids) holds an address already
-- answer that address ('ok'; 'key_used' when it is of another L3) and take no second one;
-- the others go through net_ip_allocate_batch (004_times.sql) as before; each new
-- address is marked with its VM (p_vms, '' when none) and whether its uuid is the
-- caller's key (p_keyed). One statement, one transaction.
CREATE FUNCTION net_ip_allocate_keyed(p_uuids text[], p_l3s text[], p_owners text[],
    p_wanted bigint[], p_vms text[], p_keyed boolean[])
RETURNS TABLE (outcome text, uuid text, l3_network_uuid text, ip_range_uuid text, ip text,
    gateway text, netmask text, owner_uuid text, create_date timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    idx bigint[];
BEGIN
    RETURN QUERY
    SELECT CASE WHEN x.l3_network_uuid = b.l3 THEN 'ok' ELSE 'key_used' END::text, x.uuid,
        x.l3_network_uuid, x.ip_range_uuid, x.ip, g.gateway, g.netmask, x.owner_uuid,
        x.created_at
    FROM unnest(p_uuids, p_l3s) AS b(u, l3)
    JOIN net_used_ips x ON x.uuid = b.u
    JOIN net_ip_ranges g ON g.uuid = x.ip_range_uuid;
    SELECT array_agg(b.i ORDER BY b.i) INTO idx FROM unnest(p_uuids) WITH ORDINALITY AS b(u, i)
        WHERE NOT EXISTS (SELECT 1 FROM net_used_ips x WHERE x.uuid = b.u);
    IF idx IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM net_ip_allocate_batch(
        ARRAY(SELECT p_uuids[k] FROM unnest(idx) WITH ORDINALITY AS o(k, n) ORDER BY n),
        ARRAY(SELECT p_l3s[k] FROM unnest(idx) WITH ORDINALITY AS o(k, n) ORDER BY n),
        ARRAY(SELECT p_owners[k] FROM unnest(idx) WITH ORDINALITY AS o(k, n) ORDER BY n),
        ARRAY(SELECT p_wanted[k] FROM unnest(idx) WITH ORDINALITY AS o(k, n) ORDER BY n));
    UPDATE net_used_ips x SET vm_uuid = b.v, keyed = b.k
        FROM unnest(p_uuids, p_vms, p_keyed) AS b(u, v, k)
        WHERE x.uuid = b.u AND (b.v <> '' OR b.k) AND NOT x.keyed AND x.vm_uuid = '';
END $$;
