-- Maker-checker review of held transactions, and keyset pages (docs/api-security.md).
--
-- The maker: the API client that submitted a transaction. NULL for rows recorded before this
-- migration, which came from before API clients existed; their review is not refused for want of a maker.
ALTER TABLE transactions ADD COLUMN submitted_by uuid NULL;

-- Pages of a tenant's transactions, newest first, and the review queue, oldest first.
CREATE INDEX transactions_tenant_recorded_idx ON transactions (tenant_id, recorded_at DESC, id DESC);
CREATE INDEX transactions_tenant_held_idx ON transactions (tenant_id, recorded_at, id) WHERE status = 'held';

-- A reviewer's decision on a held transaction: at most one per transaction (the primary key),
-- never by its maker, never changed or deleted. The transaction row keeps the status its policy
-- decision gave it (held); its current status is the review's (approve: posted, reject: declined).
CREATE TABLE transaction_reviews (
    tenant_id      uuid        NOT NULL,
    transaction_id uuid        NOT NULL REFERENCES transactions (id),
    verdict        text        NOT NULL CHECK (verdict IN ('approve', 'reject')),
    reason         text        NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    decided_by     uuid        NOT NULL,
    decided_at     timestamptz NOT NULL
        CHECK (decided_at >= '1970-01-01 00:00:00+00' AND decided_at < '10000-01-01 00:00:00+00'),
    CONSTRAINT transaction_reviews_pkey PRIMARY KEY (transaction_id)
);

-- The rule, enforced where no code path can skip it: the transaction is the tenant's, held, and
-- not the checker's own.
CREATE FUNCTION custos_review_rule() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t transactions%ROWTYPE;
BEGIN
    SELECT * INTO t FROM transactions WHERE id = NEW.transaction_id;
    IF NOT FOUND OR t.tenant_id <> NEW.tenant_id THEN
        RAISE EXCEPTION 'a review names a transaction of its tenant' USING ERRCODE = 'CU006';
    END IF;
    IF t.status <> 'held' THEN
        RAISE EXCEPTION 'only a held transaction is reviewed' USING ERRCODE = 'CU006';
    END IF;
    IF t.submitted_by = NEW.decided_by THEN
        RAISE EXCEPTION 'the maker of a transaction may not review it' USING ERRCODE = 'CU006';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER transaction_reviews_rule BEFORE INSERT ON transaction_reviews
    FOR EACH ROW EXECUTE FUNCTION custos_review_rule();

CREATE FUNCTION custos_review_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a review is decided once and never changed' USING ERRCODE = 'CU004';
END
$$;
CREATE TRIGGER transaction_reviews_insert_only BEFORE UPDATE OR DELETE ON transaction_reviews
    FOR EACH ROW EXECUTE FUNCTION custos_review_insert_only();
CREATE TRIGGER transaction_reviews_no_truncate BEFORE TRUNCATE ON transaction_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION custos_review_insert_only();

GRANT SELECT, INSERT ON transaction_reviews TO custos_app;

-- The one-statement append (0009, 0011, 0012) with the maker column.
DROP FUNCTION custos_audit_append_on_tail(uuid[], uuid[], text[], uuid[], bytea[], integer[], bytea[], integer[], bigint[], text[],
    text[], text[], timestamptz[], text[], timestamptz[], text[], uuid[], bytea[], text[], uuid[], bigint[], bytea[],
    text[], bigint[], bytea[], bytea[]);
CREATE FUNCTION custos_audit_append_on_tail(
    t_tenant uuid[], t_id uuid[], t_account text[], t_data_key uuid[], t_counterparty_ct bytea[], t_counterparty_bidx integer[],
    t_name_ct bytea[], t_name_bidx integer[], t_amount bigint[], t_currency text[],
    t_direction text[], t_kind text[], t_occurred timestamptz[], t_reference text[], t_recorded timestamptz[],
    t_status text[], t_decision_id uuid[], t_decision bytea[], t_submitted_by uuid[],
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
                              direction, kind, occurred_at, reference, recorded_at, status, decision_id, decision, submitted_by)
    SELECT * FROM unnest(t_tenant, t_id, t_account, t_data_key, t_counterparty_ct, t_counterparty_bidx, t_name_ct, t_name_bidx,
                         t_amount, t_currency, t_direction, t_kind, t_occurred, t_reference, t_recorded,
                         t_status, t_decision_id, t_decision, t_submitted_by)
        AS u(tenant_id, id, account_id, data_key_id, counterparty_account_ct, counterparty_account_bidx,
             counterparty_name_ct, counterparty_name_bidx, amount_minor, currency,
             direction, kind, occurred_at, reference, recorded_at, status, decision_id, decision, submitted_by)
    ORDER BY id
    ON CONFLICT (id) DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    IF inserted <> coalesce(cardinality(t_id), 0) THEN
        RAISE EXCEPTION 'a transaction id is taken' USING ERRCODE = 'CU001';
    END IF;
    INSERT INTO audit_entries (origin, idx, leaf, leaf_hash) SELECT * FROM unnest(e_origin, e_idx, e_leaf, e_hash);
END
$$;
