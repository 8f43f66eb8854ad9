-- services/backupstorage/sql/002_query.sql: an index for QueryBackupStorage: backup
-- storages by name (zones and images are reached through their refs' keys).
CREATE INDEX backupstorage_backup_storages_name ON backupstorage_backup_storages(name);
