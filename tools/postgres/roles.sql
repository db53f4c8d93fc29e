-- The two roles of a deployment, and the grants the apps use (README, "Deploying with real credentials").
--
--   psql "postgres://<superuser>@<host>/postgres" -v ON_ERROR_STOP=1 \
--     -v owner=exports_owner -v owner_password='...' \
--     -v app=exports_app -v app_password='...' \
--     -v database=exports -f tools/postgres/roles.sql
--
-- owner: owns the database and its schema, runs the migrations (DATABASE_MIGRATION_URL).
-- app:   LOGIN, CONNECT, USAGE on the schema, SELECT/INSERT/UPDATE/DELETE on the tables and
--        USAGE/SELECT on the sequences: every table the owner creates gets these grants by
--        itself (ALTER DEFAULT PRIVILEGES), so a new migration needs no new grant (DATABASE_URL).
-- Safe to run again: roles and the database are created only when missing, passwords are
-- (re)set, grants repeated. Tables made before the split (by another role) are handed to the owner.

SELECT format('CREATE ROLE %I', :'owner') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I', :'app') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec
ALTER ROLE :"owner" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
ALTER ROLE :"app" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';

SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'owner') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'database') \gexec
ALTER DATABASE :"database" OWNER TO :"owner";
-- Only the two roles (and superusers) may connect.
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"app";

\connect :"database"

ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";

SELECT format('ALTER TABLE %I.%I OWNER TO %I', schemaname, tablename, :'owner') FROM pg_tables WHERE schemaname = 'public' AND tableowner <> :'owner' \gexec

ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
