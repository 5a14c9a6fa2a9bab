-- Substring search (?q=) runs ILIKE on name and description. Trigram GIN indexes make that an
-- index scan instead of a sequential one. pg_trgm is a trusted extension (the database owner may
-- create it) and database-wide, so it goes to "public" and the indexes name its operator class
-- with the schema. (No semicolons in comments: the driver-adapter engine splits scripts on them.)

-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "pg_trgm" WITH SCHEMA "public";

-- CreateIndex
CREATE INDEX "products_name_trgm_idx" ON "products" USING GIN ("name" public.gin_trgm_ops);

-- CreateIndex
CREATE INDEX "products_description_trgm_idx" ON "products" USING GIN ("description" public.gin_trgm_ops);
