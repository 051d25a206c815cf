-- The same rules, checked for less (docs/performance.md, "Audit-log append"). A profile of the
-- one-statement append (0009) put about a quarter of PostgreSQL's time in two regular
-- expressions and about a seventh in the foreign key of audit_entries:
--
-- 1. `x ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$'` accepts exactly what
--    `char_length(x) BETWEEN 1 AND 64 AND x ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]*$'` accepts. PostgreSQL's
--    regular-expression engine expands the bounded repeat into 64 states: measured on this
--    machine, about 6 µs a value against 0.5 µs for the unbounded form and a length check.
-- 2. The foreign key from audit_entries to audit_logs runs one lookup and one row lock per entry.
--    (The entry check itself now finds a predecessor among the statement's own rows first.)
--    The entry check of 0004 already requires every entry but the first of a log to follow an
--    entry of the same log, so only entry 0 needs its log registered, once per log; audit_logs
--    rows are never deleted (0002). The check moves into that trigger, still
--    foreign_key_violation when it fails, and the foreign key goes.
ALTER TABLE transactions
    DROP CONSTRAINT transactions_account_id_check,
    DROP CONSTRAINT transactions_counterparty_account_check,
    ADD CONSTRAINT transactions_account_id_check
        CHECK (char_length(account_id) BETWEEN 1 AND 64 AND account_id ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]*$'),
    ADD CONSTRAINT transactions_counterparty_account_check
        CHECK (char_length(counterparty_account) BETWEEN 1 AND 64
               AND counterparty_account ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]*$');

CREATE OR REPLACE FUNCTION custos_audit_entries_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    refused record;
BEGIN
    SELECT origin, idx, reason INTO refused FROM (
        SELECT n.origin, n.idx, CASE
            WHEN get_byte(n.leaf, 0) <> 1 OR octet_length(n.leaf) < 50 + n.origin_length
                 OR substring(n.leaf FROM 3 FOR n.origin_length) <> convert_to(n.origin, 'UTF8')
                 OR substring(n.leaf FROM 3 + n.origin_length FOR 8) <> int8send(n.idx)
                 OR n.leaf_hash <> sha256('\x00'::bytea || n.leaf)
                THEN 'does not match its row'
            WHEN n.idx = 0 AND NOT EXISTS (SELECT 1 FROM audit_logs l WHERE l.origin = n.origin)
                THEN 'is in no registered log'
            WHEN n.idx > 0 AND p.leaf_hash IS NULL
                THEN 'has no predecessor'
            WHEN substring(n.leaf FROM 19 + n.origin_length FOR 32) <> COALESCE(p.leaf_hash,
                     '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
                THEN 'does not link to its predecessor'
            WHEN n.idx > 0 AND substring(n.leaf FROM 11 + n.origin_length FOR 8)
                               < substring(p.leaf FROM 11 + n.origin_length FOR 8)
                THEN 'is older than its predecessor'
            END AS reason
        FROM (SELECT e.*, CASE WHEN octet_length(e.leaf) >= 2 THEN get_byte(e.leaf, 1) ELSE 0 END AS origin_length
              FROM new_entries e) n
        -- The predecessor: in a run of entries, the statement's own previous row (a hash join);
        -- for the first of a run, the stored entry, one index lookup (the LIMIT keeps it one,
        -- and the conditions on s and n skip it for every other row).
        LEFT JOIN new_entries s ON s.origin = n.origin AND s.idx = n.idx - 1
        LEFT JOIN LATERAL (
            SELECT q.leaf_hash, q.leaf FROM audit_entries q
            WHERE s.origin IS NULL AND n.idx > 0 AND q.origin = n.origin AND q.idx = n.idx - 1 LIMIT 1
        ) t ON true
        CROSS JOIN LATERAL (SELECT COALESCE(s.leaf_hash, t.leaf_hash) AS leaf_hash, COALESCE(s.leaf, t.leaf) AS leaf) p
    ) checked
    WHERE reason IS NOT NULL
    ORDER BY origin, idx
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'audit entry % of % %', refused.idx, refused.origin, refused.reason
            USING ERRCODE = CASE WHEN refused.reason IN ('has no predecessor', 'is in no registered log')
                                 THEN 'foreign_key_violation' ELSE 'check_violation' END;
    END IF;
    RETURN NULL;
END
$$;

ALTER TABLE audit_entries DROP CONSTRAINT audit_entries_origin_fkey;

-- 3. The append path's statements are planned once per connection, not at every call: their
--    arrays and transition tables make custom plans no better than the generic one, and
--    planning was about a tenth of PostgreSQL's time on that path.
ALTER FUNCTION custos_audit_append_on_tail SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION custos_audit_lock_logs SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION custos_audit_entries_follow SET plan_cache_mode = force_generic_plan;
