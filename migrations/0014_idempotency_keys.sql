-- Idempotency keys (docs/api-security.md, "Idempotency"). One row per client and key: what the
-- keyed request created, inserted in the same transaction as the thing itself, so a retry finds
-- either nothing or exactly one creation. Only SHA-256 digests of the key and of the request are
-- kept, and a reference to the resource: never a response body, so no personal data is stored
-- twice. Rows older than the retention (at least 24 hours) are deleted by the server.
CREATE TABLE idempotency_keys (
    tenant_id      uuid        NOT NULL,
    client_id      uuid        NOT NULL,
    key_sha256     bytea       NOT NULL CHECK (octet_length(key_sha256) = 32),
    request_sha256 bytea       NOT NULL CHECK (octet_length(request_sha256) = 32),
    resource_type  text        NOT NULL CHECK (resource_type IN ('transaction', 'review')),
    resource_id    uuid        NOT NULL,
    created_at     timestamptz NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (tenant_id, client_id, key_sha256)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Rows are inserted and, past the retention, deleted; never changed.
GRANT SELECT, INSERT, DELETE ON idempotency_keys TO custos_app;
