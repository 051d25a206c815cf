-- The application role (docs/operations.md, "Database roles"). `custos serve` connects as a
-- member of custos_app, never as the owner of these tables: it may read and insert audit rows
-- but never update, delete or truncate them (the triggers refuse that too, but an owner could
-- disable them). Migrations run as the owner. The role is created here when it does not exist
-- yet (which needs CREATEROLE); a deployment may create it beforehand, with LOGIN and a
-- password, or grant it to the login role the server uses. Every later migration that adds a
-- table grants custos_app what the application needs on it, and no more.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'custos_app') THEN
        CREATE ROLE custos_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- created meanwhile by a concurrent migration of another database in this cluster
END
$$;

GRANT USAGE ON SCHEMA public TO custos_app;
GRANT SELECT ON schema_migrations TO custos_app;
GRANT SELECT, INSERT ON transactions TO custos_app;
GRANT SELECT, INSERT ON audit_logs, audit_entries, audit_checkpoints, audit_tree_nodes, audit_key_rotations TO custos_app;
