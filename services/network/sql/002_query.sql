-- services/network/sql/002_query.sql: indexes for the network queries: L2 and L3
-- networks by name, L2 networks by zone and VLAN, L3 networks by zone, used addresses by
-- range (QueryIpRange's used_ips.* and QueryUsedIp's ip_range_uuid) and by address.
CREATE INDEX net_l2_networks_name ON net_l2_networks(name);
CREATE INDEX net_l2_networks_vlan ON net_l2_networks(vlan);
CREATE INDEX net_l3_networks_name ON net_l3_networks(name);
CREATE INDEX net_l3_networks_zone ON net_l3_networks(zone_uuid);
CREATE INDEX net_used_ips_range ON net_used_ips(ip_range_uuid);
CREATE INDEX net_used_ips_ip ON net_used_ips(ip);
