-- Row-level security on every tenant table (docs/api-security.md, "Tenant isolation"): the
-- second, independent check of what every query already says in code (`WHERE tenant_id = …`).
--
-- Each database transaction of the application sets its scope first, with SET LOCAL semantics
-- (set_config(…, true): the setting ends with the transaction, so a pooled connection never
-- carries it to the next user):
--   custos.tenant_id = '<uuid>'  the rows of that tenant only (API requests);
--   custos.system    = 'on'      every tenant's rows (the record keepers, whose group commits hold
--                                rows of several tenants; operators' key commands; pruning).
-- A transaction that sets neither sees no row and may write none. custos_app is not the owner of
-- these tables and has no BYPASSRLS, so the policies bind it (`custos serve` checks both at start).
-- The owner (migrations) and superusers are not bound: they are not the application.
CREATE FUNCTION custos_row_tenant() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(current_setting('custos.tenant_id', true), '')::uuid
$$;
CREATE FUNCTION custos_row_system() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('custos.system', true), '') = 'on'
$$;

ALTER TABLE transactions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON transactions
    USING (tenant_id = custos_row_tenant() OR custos_row_system())
    WITH CHECK (tenant_id = custos_row_tenant() OR custos_row_system());

ALTER TABLE transaction_reviews ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON transaction_reviews
    USING (tenant_id = custos_row_tenant() OR custos_row_system())
    WITH CHECK (tenant_id = custos_row_tenant() OR custos_row_system());

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON idempotency_keys
    USING (tenant_id = custos_row_tenant() OR custos_row_system())
    WITH CHECK (tenant_id = custos_row_tenant() OR custos_row_system());

ALTER TABLE data_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON data_keys
    USING (tenant_id = custos_row_tenant() OR custos_row_system())
    WITH CHECK (tenant_id = custos_row_tenant() OR custos_row_system());

ALTER TABLE key_encryption_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON key_encryption_keys
    USING (tenant_id = custos_row_tenant() OR custos_row_system())
    WITH CHECK (tenant_id = custos_row_tenant() OR custos_row_system());

-- The one-statement group commit (0015) runs without a transaction of its own to set a scope
-- in: it writes its batch, of several tenants, in the system scope.
ALTER FUNCTION custos_audit_append_on_tail(uuid[], uuid[], text[], uuid[], bytea[], integer[], bytea[], integer[], bigint[], text[],
    text[], text[], timestamptz[], text[], timestamptz[], text[], uuid[], bytea[], uuid[], text[], uuid[], bigint[], bytea[],
    text[], bigint[], bytea[], bytea[])
    SET custos.system = 'on';

-- The access directory: a tenant sees its own row and its own clients. The token endpoint, which
-- learns the tenant from the client, and operators' commands read in the system scope; every
-- API request reads its client in its token's tenant scope.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON tenants
    USING (id = custos_row_tenant() OR custos_row_system())
    WITH CHECK (id = custos_row_tenant() OR custos_row_system());

ALTER TABLE api_clients ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON api_clients
    USING (tenant_id = custos_row_tenant() OR custos_row_system())
    WITH CHECK (tenant_id = custos_row_tenant() OR custos_row_system());

-- The audit logs: a tenant sees its own log (`audit_logs.tenant_id`) and that log's entries,
-- checkpoints, tree nodes and key rotations; the system log and every log are the system scope's
-- (the record keepers' appends, the checkpoint signer's list of logs). The log store reads and
-- signs each log in its tenant's scope.
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON audit_logs
    USING (tenant_id = custos_row_tenant() OR custos_row_system())
    WITH CHECK (tenant_id = custos_row_tenant() OR custos_row_system());

CREATE FUNCTION custos_row_origins() RETURNS SETOF text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT origin FROM audit_logs WHERE tenant_id = custos_row_tenant()
$$;

ALTER TABLE audit_entries ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON audit_entries
    USING (custos_row_system() OR origin IN (SELECT custos_row_origins()))
    WITH CHECK (custos_row_system() OR origin IN (SELECT custos_row_origins()));

ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON audit_checkpoints
    USING (custos_row_system() OR origin IN (SELECT custos_row_origins()))
    WITH CHECK (custos_row_system() OR origin IN (SELECT custos_row_origins()));

ALTER TABLE audit_tree_nodes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON audit_tree_nodes
    USING (custos_row_system() OR origin IN (SELECT custos_row_origins()))
    WITH CHECK (custos_row_system() OR origin IN (SELECT custos_row_origins()));

ALTER TABLE audit_key_rotations ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON audit_key_rotations
    USING (custos_row_system() OR origin IN (SELECT custos_row_origins()))
    WITH CHECK (custos_row_system() OR origin IN (SELECT custos_row_origins()));
