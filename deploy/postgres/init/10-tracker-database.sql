-- The tracker store's database beside the applications database (POSTGRES_DB), created on the
-- first start of an empty data directory (docker-entrypoint-initdb.d). Rasa creates its tables.
CREATE DATABASE asbcr_tracker OWNER asbcr;
