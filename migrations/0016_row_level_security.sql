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
