-- Insert-only audit tables (docs/audit-log.md §9). The application never updates an audit table:
-- appends to a log are sequenced by a transaction-scoped advisory lock keyed from the log's
-- origin, and a log's head (size, last leaf hash, last time) is its newest entry. What needs only
-- INSERT and SELECT on audit_logs, audit_entries and audit_checkpoints:
--   audit_logs         an insert-only registry of logs (origin, tenant): no head columns, and
--                      UPDATE, DELETE and TRUNCATE refused;
--   audit_entries      each new entry must follow its predecessor: the database refuses gaps here,
--                      forks through the primary key (origin, idx), and broken chain links;
--   audit_checkpoints  unchanged (insert-only since 0002).
-- The triggers stop mistakes and casual edits, not the tables' owner or a superuser, who can
-- disable them; the cryptography (§4 to §8) remains the real guarantee.

-- The head columns of 0002 are dropped. They must agree with the entries first: a database whose
-- heads disagree was changed behind Custos's back, and this migration refuses to paper over it.
DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM audit_logs l
        LEFT JOIN (SELECT origin, count(*) AS entries, max(idx) AS last FROM audit_entries GROUP BY origin) e
            ON e.origin = l.origin
        WHERE l.size <> COALESCE(e.entries, 0) OR l.size <> COALESCE(e.last + 1, 0)
           OR (l.size > 0 AND l.last_leaf_hash IS DISTINCT FROM
               (SELECT leaf_hash FROM audit_entries x WHERE x.origin = l.origin AND x.idx = l.size - 1))
    ) THEN
        RAISE EXCEPTION 'audit_logs head rows disagree with audit_entries: not migrating'
            USING ERRCODE = 'data_corrupted';
    END IF;
END
$$;

DROP TRIGGER audit_logs_forward_only ON audit_logs;
DROP TRIGGER audit_logs_start_empty ON audit_logs;
DROP FUNCTION custos_audit_head_forward();
DROP FUNCTION custos_audit_head_starts_empty();
ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_empty_links_to_zeros;
ALTER TABLE audit_logs DROP COLUMN size, DROP COLUMN last_leaf_hash, DROP COLUMN last_timestamp_ms;

CREATE TRIGGER audit_logs_insert_only BEFORE UPDATE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION custos_audit_reject_change();

-- Each inserted entry (layout: docs/audit-log.md §3.1; L = origin length, the byte at offset 1)
-- must be a version-1 entry of its own row: its origin bytes (offset 2) equal the row's origin, its
-- index (offset 2+L, uint64 big-endian) equals idx, and leaf_hash = SHA-256(0x00 ‖ leaf). It must
-- follow its predecessor, entry idx − 1 of the same log, which must exist (no gaps; entry 0 has
-- none): its previous_leaf_hash (offset 18+L) equals the predecessor's leaf_hash (32 zero bytes at
-- index 0), and its timestamp_ms (offset 10+L) is not below the predecessor's. Byte strings of
-- equal length compare as unsigned big-endian numbers, so the times compare as stored.
--
-- One check per INSERT statement, after its rows are in, over the statement's new rows: a batch
-- may insert a run of entries in any order, and a row-by-row trigger (measured: about 7 µs per
-- row against 3 µs here, docs/performance.md) is not needed. A refused statement raises
-- foreign_key_violation (no predecessor) or check_violation, naming the first bad entry, and
-- nothing of it is stored. Concurrent writers that skip the append lock are refused too: an
-- uncommitted predecessor is invisible (a gap), a taken index violates the primary key (a fork).
CREATE FUNCTION custos_audit_entries_follow() RETURNS trigger LANGUAGE plpgsql AS $$
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
        -- LIMIT keeps this an index lookup per new row, whatever the size of the statement.
        LEFT JOIN LATERAL (
            SELECT q.leaf_hash, q.leaf FROM audit_entries q WHERE q.origin = n.origin AND q.idx = n.idx - 1 LIMIT 1
        ) p ON n.idx > 0
    ) checked
    WHERE reason IS NOT NULL
    ORDER BY origin, idx
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'audit entry % of % %', refused.idx, refused.origin, refused.reason
            USING ERRCODE = CASE WHEN refused.reason = 'has no predecessor' THEN 'foreign_key_violation' ELSE 'check_violation' END;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_entries_follow_predecessor AFTER INSERT ON audit_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_entries_follow();

-- The append lock of a log: a transaction-scoped advisory lock whose key is the first 8 bytes of
-- SHA-256("custos audit append lock v1\n" ‖ origin), read as a big-endian signed 64-bit integer.
-- In pg_locks it shows as locktype advisory, classid and objid the key's high and low 32 bits,
-- objsubid 1. Two origins with the same key (odds about n²/2⁶⁵ among n logs) only serialise each
-- other's appends: each log is still sequenced by its own writers holding that key.
CREATE FUNCTION custos_audit_lock_key(origin text) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ('x' || left(encode(sha256(convert_to(E'custos audit append lock v1\n' || origin, 'UTF8')), 'hex'), 16))::bit(64)::bigint
$$;

-- Locks the given logs for the rest of the transaction (ascending keys, so that no two
-- transactions deadlock on them), registers the ones not yet in audit_logs, and returns, per
-- log, whether it is registered and its newest entry (NULLs for an empty log): what a writer
-- needs to append. Each statement in here takes its own snapshot, so the heads read include every
-- append committed before the locks were granted. Needs INSERT on audit_logs and SELECT only.
CREATE FUNCTION custos_audit_lock_logs(origins text[], tenants uuid[])
RETURNS TABLE (origin text, registered boolean, idx bigint, leaf_hash bytea, leaf bytea)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(k.key)
    FROM (SELECT DISTINCT custos_audit_lock_key(o.origin) AS key FROM unnest(origins) AS o(origin)) k
    ORDER BY k.key;
    INSERT INTO audit_logs (origin, tenant_id) SELECT * FROM unnest(origins, tenants) ON CONFLICT DO NOTHING;
    RETURN QUERY
        SELECT w.origin, EXISTS (SELECT 1 FROM audit_logs l WHERE l.origin = w.origin), e.idx, e.leaf_hash, e.leaf
        FROM unnest(origins) AS w(origin)
        LEFT JOIN LATERAL (
            SELECT q.idx, q.leaf_hash, q.leaf FROM audit_entries q WHERE q.origin = w.origin ORDER BY q.idx DESC LIMIT 1
        ) e ON true;
END
$$;
