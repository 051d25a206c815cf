-- Field-level encryption at rest (docs/encryption.md). No key material is stored in clear: the
-- root key lives outside the database, key-encryption keys (KEKs) are derived from it per tenant
-- and version, and data keys are stored only wrapped by their tenant's KEK.

-- The versions of each tenant's key-encryption key. No key bytes: a KEK is derived from the root
-- key, the tenant and the version (§3.1). One version per tenant is active (wraps new data keys);
-- an older one is superseded while a live data key is still wrapped by it, then retired.
CREATE TABLE key_encryption_keys (
    tenant_id  uuid        NOT NULL,
    version    integer     NOT NULL CHECK (version >= 1),
    status     text        NOT NULL CHECK (status IN ('active', 'superseded', 'retired')),
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz NULL,
    CONSTRAINT key_encryption_keys_pkey PRIMARY KEY (tenant_id, version),
    CONSTRAINT key_encryption_keys_retired_when CHECK ((status = 'retired') = (retired_at IS NOT NULL))
);
CREATE UNIQUE INDEX key_encryption_keys_one_active ON key_encryption_keys (tenant_id) WHERE status = 'active';

-- Data keys (§3.2): one row per version of a subject's key, wrapped by a KEK version (72 bytes).
-- One version per subject is active (seals new values); a rotation supersedes it (it still opens
-- its rows) and `keys reencrypt` retires it once no row uses it. A destroyed (shredded) key keeps
-- its row, without its wrapped bytes: what it sealed reads as erased.
CREATE TABLE data_keys (
    id           uuid        NOT NULL,
    tenant_id    uuid        NOT NULL,
    subject      text        NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 64),
    version      integer     NOT NULL CHECK (version >= 1),
    status       text        NOT NULL CHECK (status IN ('active', 'superseded', 'retired', 'destroyed')),
    kek_version  integer     NOT NULL,
    wrapped      bytea       NULL CHECK (octet_length(wrapped) = 72),
    created_at   timestamptz NOT NULL DEFAULT now(),
    retired_at   timestamptz NULL,
    destroyed_at timestamptz NULL,
    CONSTRAINT data_keys_pkey PRIMARY KEY (id),
    CONSTRAINT data_keys_subject_version UNIQUE (tenant_id, subject, version),
    CONSTRAINT data_keys_kek FOREIGN KEY (tenant_id, kek_version) REFERENCES key_encryption_keys (tenant_id, version),
    CONSTRAINT data_keys_destroyed_has_no_key CHECK ((status = 'destroyed') = (wrapped IS NULL)),
    CONSTRAINT data_keys_destroyed_when CHECK ((status = 'destroyed') = (destroyed_at IS NOT NULL)),
    CONSTRAINT data_keys_retired_when CHECK (status <> 'retired' OR retired_at IS NOT NULL)
);
CREATE UNIQUE INDEX data_keys_one_active ON data_keys (tenant_id, subject) WHERE status = 'active';

-- Transactions keep their counterparty fields sealed (format §4.1) with blind-index values
-- (§5). Rows written before this migration keep their plaintext counterparty_account until
-- `custos keys reencrypt` seals them; a row has exactly one of the two forms. data_key_id names
-- the key that sealed the row's fields (the ciphertext headers name it too); it is not a foreign
-- key, to keep a per-row lookup off the append path: data_keys rows are never deleted.
ALTER TABLE transactions
    ALTER COLUMN counterparty_account DROP NOT NULL,
    ADD COLUMN data_key_id uuid NULL,
    ADD COLUMN counterparty_account_ct bytea NULL CHECK (octet_length(counterparty_account_ct) BETWEEN 93 AND 4189),
    ADD COLUMN counterparty_account_bidx integer NULL,
    ADD COLUMN counterparty_name_ct bytea NULL CHECK (octet_length(counterparty_name_ct) BETWEEN 93 AND 4189),
    ADD COLUMN counterparty_name_bidx integer NULL,
    ADD CONSTRAINT transactions_counterparty_one_form CHECK ((counterparty_account IS NULL) = (counterparty_account_ct IS NOT NULL)),
    ADD CONSTRAINT transactions_sealed_names_key CHECK (
        (counterparty_account_ct IS NULL AND counterparty_name_ct IS NULL) OR data_key_id IS NOT NULL
    );
CREATE INDEX transactions_counterparty_account_bidx_idx ON transactions (tenant_id, counterparty_account_bidx)
    WHERE counterparty_account_bidx IS NOT NULL;
CREATE INDEX transactions_counterparty_name_bidx_idx ON transactions (tenant_id, counterparty_name_bidx)
    WHERE counterparty_name_bidx IS NOT NULL;
-- Re-encryption, shredding and `keys status` find rows by key.
CREATE INDEX transactions_data_key_idx ON transactions (data_key_id) WHERE data_key_id IS NOT NULL;

-- New rows are sealed only under an active data key of their tenant: once per INSERT statement,
-- over its distinct keys, each key row is locked FOR SHARE (so a rotation or shred that changes
-- its status waits for this transaction, and this one sees theirs if they committed first) and
-- must be active. Otherwise the statement fails with CU003 and nothing of it is stored: a
-- writer that remembered a key a rotation or shred has since changed looks the key up again.
-- Rows re-encrypted by UPDATE are checked by their own statement (PostgresKeyAdministration).
CREATE FUNCTION custos_transactions_key_active() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    inactive uuid;
BEGIN
    SELECT n.data_key_id INTO inactive
    FROM (SELECT DISTINCT data_key_id, tenant_id FROM new_rows WHERE data_key_id IS NOT NULL) n
    LEFT JOIN LATERAL (
        SELECT k.status FROM data_keys k WHERE k.id = n.data_key_id AND k.tenant_id = n.tenant_id FOR SHARE
    ) k ON true
    WHERE k.status IS DISTINCT FROM 'active'
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'data key % is not an active key of its tenant', inactive USING ERRCODE = 'CU003';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER transactions_sealed_under_active_key AFTER INSERT ON transactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION custos_transactions_key_active();

-- The one-statement append (0009) with the new columns.
DROP FUNCTION custos_audit_append_on_tail(uuid[], uuid[], text[], text[], bigint[], text[], text[], text[],
    timestamptz[], text[], timestamptz[], text[], uuid[], bigint[], bytea[], text[], bigint[], bytea[], bytea[]);
CREATE FUNCTION custos_audit_append_on_tail(
    t_tenant uuid[], t_id uuid[], t_account text[], t_data_key uuid[], t_counterparty_ct bytea[], t_counterparty_bidx integer[],
    t_name_ct bytea[], t_name_bidx integer[], t_amount bigint[], t_currency text[],
    t_direction text[], t_kind text[], t_occurred timestamptz[], t_reference text[], t_recorded timestamptz[],
    origins text[], tenants uuid[], expected_next bigint[], expected_hash bytea[],
    e_origin text[], e_idx bigint[], e_leaf bytea[], e_hash bytea[]
) RETURNS void LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    inserted bigint;
    stale text;
BEGIN
    SELECT w.origin INTO stale
    FROM custos_audit_lock_logs(origins, tenants) AS w
    JOIN unnest(origins, expected_next, expected_hash) AS x(origin, next_idx, tail_hash) ON x.origin = w.origin
    WHERE coalesce(w.idx + 1, 0) <> x.next_idx OR (w.idx IS NOT NULL AND w.leaf_hash IS DISTINCT FROM x.tail_hash)
    LIMIT 1;
    IF stale IS NOT NULL THEN
        RAISE EXCEPTION 'the expected tail of an audit log is stale' USING ERRCODE = 'CU002';
    END IF;
    INSERT INTO transactions (tenant_id, id, account_id, data_key_id, counterparty_account_ct, counterparty_account_bidx,
                              counterparty_name_ct, counterparty_name_bidx, amount_minor, currency,
                              direction, kind, occurred_at, reference, recorded_at)
    SELECT * FROM unnest(t_tenant, t_id, t_account, t_data_key, t_counterparty_ct, t_counterparty_bidx, t_name_ct, t_name_bidx,
                         t_amount, t_currency, t_direction, t_kind, t_occurred, t_reference, t_recorded)
        AS u(tenant_id, id, account_id, data_key_id, counterparty_account_ct, counterparty_account_bidx,
             counterparty_name_ct, counterparty_name_bidx, amount_minor, currency,
             direction, kind, occurred_at, reference, recorded_at)
    ORDER BY id
    ON CONFLICT (id) DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    IF inserted <> coalesce(cardinality(t_id), 0) THEN
        RAISE EXCEPTION 'a transaction id is taken' USING ERRCODE = 'CU001';
    END IF;
    INSERT INTO audit_entries (origin, idx, leaf, leaf_hash) SELECT * FROM unnest(e_origin, e_idx, e_leaf, e_hash);
END
$$;

-- The application role: reads and inserts as before; key rotation, re-encryption and shredding
-- (`custos keys`, run with the application's credentials) update key rows and the protected
-- columns of transactions, never anything else. No DELETE anywhere.
GRANT SELECT, INSERT, UPDATE (status, retired_at) ON key_encryption_keys TO custos_app;
GRANT SELECT, INSERT, UPDATE (status, kek_version, wrapped, retired_at, destroyed_at) ON data_keys TO custos_app;
GRANT UPDATE (counterparty_account, data_key_id, counterparty_account_ct, counterparty_account_bidx,
              counterparty_name_ct, counterparty_name_bidx) ON transactions TO custos_app;
