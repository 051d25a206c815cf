-- Tenants and their API clients (docs/api-security.md). Only an Argon2id hash of a client's
-- secret is stored (PHC string form, from libsodium's crypto_pwhash_str). The application role
-- may add tenants and clients and revoke clients (`custos tenants`, `custos clients` run as it),
-- but never delete them, change a client's scopes or hash, or un-revoke one.
CREATE TABLE tenants (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (octet_length(name) BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL,
    CONSTRAINT tenants_name_unique UNIQUE (name)
);

CREATE TABLE api_clients (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    scopes      text[] NOT NULL CHECK (cardinality(scopes) BETWEEN 1 AND 16),
    roles       text[] NOT NULL CHECK (cardinality(roles) <= 16),
    secret_hash text NOT NULL CHECK (starts_with(secret_hash, chr(36) || 'argon2id' || chr(36)) AND octet_length(secret_hash) <= 128),
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX api_clients_tenant ON api_clients (tenant_id);

-- A client's row changes once, from not revoked to revoked; nothing else about it ever changes.
CREATE FUNCTION api_clients_revoke_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
       OR (NEW.id, NEW.tenant_id, NEW.scopes, NEW.roles, NEW.secret_hash, NEW.created_at)
          IS DISTINCT FROM (OLD.id, OLD.tenant_id, OLD.scopes, OLD.roles, OLD.secret_hash, OLD.created_at) THEN
        RAISE EXCEPTION 'an API client is only ever revoked, once' USING ERRCODE = 'CU005';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER api_clients_revoke_only BEFORE UPDATE ON api_clients
    FOR EACH ROW EXECUTE FUNCTION api_clients_revoke_only();

GRANT SELECT, INSERT ON tenants TO custos_app;
GRANT SELECT, INSERT ON api_clients TO custos_app;
GRANT UPDATE (revoked_at) ON api_clients TO custos_app;
