-- Policy decisions (docs/policies.md). Every transaction recorded from now on carries the
-- decision that the active policy bundle made on it, and the status that follows from it:
-- approve -> posted, review and block -> held, decline -> declined. Rows recorded before this
-- migration were never decided: they are posted, without a decision.
ALTER TABLE transactions
    ADD COLUMN status text NOT NULL DEFAULT 'posted' CHECK (status IN ('posted', 'held', 'declined')),
    ADD COLUMN decision_id uuid NULL,
    -- The decision record: RFC 8785 bytes (DecisionRecord), its trace included, at most 1 MiB.
    ADD COLUMN decision bytea NULL CHECK (octet_length(decision) BETWEEN 2 AND 1048576),
    ADD CONSTRAINT transactions_decision_whole CHECK ((decision IS NULL) = (decision_id IS NULL));
-- New rows name their status; the default is only for the rows that predate decisions.
ALTER TABLE transactions ALTER COLUMN status DROP DEFAULT;

-- History features (TransactionHistory): an account's recent rows, by time. The index of 0001
-- (tenant_id, account_id, occurred_at) serves the windows; counterparty candidates go through
-- transactions_counterparty_account_bidx_idx of 0011.

-- Policy bundles, by the SHA-256 of their canonical content (docs/policies.md §8). A bundle is
-- never changed or deleted: a decision names the bundle it was made with, and replaying it needs
-- exactly that content.
CREATE TABLE policy_bundles (
    hash       text        NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    content    bytea       NOT NULL CHECK (octet_length(content) BETWEEN 2 AND 33554432),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT policy_bundles_pkey PRIMARY KEY (hash)
);

-- Activations, in order: the newest names the active bundle. Append-only.
CREATE TABLE policy_activations (
    seq          bigint      GENERATED ALWAYS AS IDENTITY,
    hash         text        NOT NULL,
    activated_at timestamptz NOT NULL,
    actor        text        NOT NULL CHECK (char_length(actor) BETWEEN 1 AND 256),
    CONSTRAINT policy_activations_pkey PRIMARY KEY (seq),
    CONSTRAINT policy_activations_bundle FOREIGN KEY (hash) REFERENCES policy_bundles (hash)
);

-- Neither table is ever updated or deleted from, even by its owner.
CREATE FUNCTION custos_policy_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is insert-only', TG_TABLE_NAME USING ERRCODE = 'CU004';
END
$$;
CREATE TRIGGER policy_bundles_insert_only BEFORE UPDATE OR DELETE ON policy_bundles
    FOR EACH ROW EXECUTE FUNCTION custos_policy_insert_only();
CREATE TRIGGER policy_bundles_no_truncate BEFORE TRUNCATE ON policy_bundles
    FOR EACH STATEMENT EXECUTE FUNCTION custos_policy_insert_only();
CREATE TRIGGER policy_activations_insert_only BEFORE UPDATE OR DELETE ON policy_activations
    FOR EACH ROW EXECUTE FUNCTION custos_policy_insert_only();
CREATE TRIGGER policy_activations_no_truncate BEFORE TRUNCATE ON policy_activations
    FOR EACH STATEMENT EXECUTE FUNCTION custos_policy_insert_only();

-- `custos policy activate` runs with the application's credentials.
GRANT SELECT, INSERT ON policy_bundles, policy_activations TO custos_app;

-- The one-statement append (0009, 0011) with the decision columns.
DROP FUNCTION custos_audit_append_on_tail(uuid[], uuid[], text[], uuid[], bytea[], integer[], bytea[], integer[], bigint[], text[],
    text[], text[], timestamptz[], text[], timestamptz[], text[], uuid[], bigint[], bytea[], text[], bigint[], bytea[], bytea[]);
CREATE FUNCTION custos_audit_append_on_tail(
    t_tenant uuid[], t_id uuid[], t_account text[], t_data_key uuid[], t_counterparty_ct bytea[], t_counterparty_bidx integer[],
    t_name_ct bytea[], t_name_bidx integer[], t_amount bigint[], t_currency text[],
    t_direction text[], t_kind text[], t_occurred timestamptz[], t_reference text[], t_recorded timestamptz[],
    t_status text[], t_decision_id uuid[], t_decision bytea[],
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
                              direction, kind, occurred_at, reference, recorded_at, status, decision_id, decision)
    SELECT * FROM unnest(t_tenant, t_id, t_account, t_data_key, t_counterparty_ct, t_counterparty_bidx, t_name_ct, t_name_bidx,
                         t_amount, t_currency, t_direction, t_kind, t_occurred, t_reference, t_recorded,
                         t_status, t_decision_id, t_decision)
        AS u(tenant_id, id, account_id, data_key_id, counterparty_account_ct, counterparty_account_bidx,
             counterparty_name_ct, counterparty_name_bidx, amount_minor, currency,
             direction, kind, occurred_at, reference, recorded_at, status, decision_id, decision)
    ORDER BY id
    ON CONFLICT (id) DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    IF inserted <> coalesce(cardinality(t_id), 0) THEN
        RAISE EXCEPTION 'a transaction id is taken' USING ERRCODE = 'CU001';
    END IF;
    INSERT INTO audit_entries (origin, idx, leaf, leaf_hash) SELECT * FROM unnest(e_origin, e_idx, e_leaf, e_hash);
END
$$;
