-- services/cluster/sql/002_query.sql: indexes for QueryCluster and for the dot paths of
-- other queries (a host's cluster.name): clusters by name, a normal account's clusters
-- in the default order.
CREATE INDEX cluster_clusters_name ON cluster_clusters(name);
CREATE INDEX cluster_clusters_owner_created ON cluster_clusters(owner_uuid, created_at, uuid);
