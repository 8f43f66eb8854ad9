-- services/image/sql/002_query.sql: indexes for QueryImage: images by name, and a normal
-- account's images in the default order (its own; the public ones are few).
CREATE INDEX image_images_name ON image_images(name);
CREATE INDEX image_images_owner_created ON image_images(owner_uuid, created_at, uuid);
