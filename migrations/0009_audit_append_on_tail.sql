-- One-statement appends (docs/audit-log.md §9): a writer that knows the tail of each log it
-- appends to (from its own last commit) builds the entries first and sends the business rows,
-- the expected tails and the entries in one autocommit statement. Under the logs' append locks
-- (custos_audit_lock_logs, 0004) the function checks that every log's newest entry is still the
-- expected one, and inserts. Anything unexpected raises, so the whole statement rolls back and
-- the writer takes the general path (BEGIN, lock and read the heads, insert, COMMIT):
--   CU001: a transaction id is taken;
--   CU002: a log's tail is not the expected one (another process or path appended meanwhile).
-- The entry check of 0004 still runs over the inserted entries. Needs INSERT and SELECT only.
CREATE FUNCTION custos_audit_append_on_tail(
    t_tenant uuid[], t_id uuid[], t_account text[], t_counterparty text[], t_amount bigint[], t_currency text[],
    t_direction text[], t_kind text[], t_occurred timestamptz[], t_reference text[], t_recorded timestamptz[],
    origins text[], tenants uuid[], expected_next bigint[], expected_hash bytea[],
    e_origin text[], e_idx bigint[], e_leaf bytea[], e_hash bytea[]
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    inserted bigint;
    stale text;
BEGIN
    -- The locks first: a writer's next batch, sent while this one is in flight, queues behind it.
    SELECT w.origin INTO stale
    FROM custos_audit_lock_logs(origins, tenants) AS w
    JOIN unnest(origins, expected_next, expected_hash) AS x(origin, next_idx, tail_hash) ON x.origin = w.origin
    WHERE coalesce(w.idx + 1, 0) <> x.next_idx OR (w.idx IS NOT NULL AND w.leaf_hash IS DISTINCT FROM x.tail_hash)
    LIMIT 1;
    IF stale IS NOT NULL THEN
        RAISE EXCEPTION 'the expected tail of an audit log is stale' USING ERRCODE = 'CU002';
    END IF;
    INSERT INTO transactions (tenant_id, id, account_id, counterparty_account, amount_minor, currency,
                              direction, kind, occurred_at, reference, recorded_at)
    SELECT * FROM unnest(t_tenant, t_id, t_account, t_counterparty, t_amount, t_currency,
                         t_direction, t_kind, t_occurred, t_reference, t_recorded)
        AS u(tenant_id, id, account_id, counterparty_account, amount_minor, currency,
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
