-- services/primarystorage/sql/002_query.sql: indexes for QueryPrimaryStorage: storages by
-- name, and a cluster's storages (the clusters.* dot paths look the attachments up by
-- storage, which their key serves; this one serves a cluster's side).
CREATE INDEX ps_storages_name ON ps_storages(name);
CREATE INDEX ps_clusters_cluster ON ps_clusters(cluster_uuid);
