-- The audit log (docs/audit-log.md). One row per log in audit_logs is the log's head: appends
-- lock it (SELECT ... FOR UPDATE), so concurrent writers, in one process or several, sequence
-- entries gap-free. Entries and checkpoints are append-only: triggers refuse UPDATE, DELETE and
-- TRUNCATE for every role, the owner included. The cryptography remains the real guarantee.
CREATE TABLE audit_logs (
    origin            text        PRIMARY KEY CHECK (char_length(origin) BETWEEN 1 AND 255),
    tenant_id         uuid        NULL UNIQUE,
    size              bigint      NOT NULL DEFAULT 0 CHECK (size >= 0),
    last_leaf_hash    bytea       NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'
        CHECK (octet_length(last_leaf_hash) = 32),
    last_timestamp_ms bigint      NOT NULL DEFAULT 0 CHECK (last_timestamp_ms >= 0),
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_entries (
    origin    text   NOT NULL REFERENCES audit_logs (origin),
    idx       bigint NOT NULL CHECK (idx >= 0),
    leaf      bytea  NOT NULL CHECK (octet_length(leaf) BETWEEN 1 AND 65535),
    leaf_hash bytea  NOT NULL CHECK (octet_length(leaf_hash) = 32),
    CONSTRAINT audit_entries_pkey PRIMARY KEY (origin, idx)
);

CREATE TABLE audit_checkpoints (
    origin    text        NOT NULL REFERENCES audit_logs (origin),
    size      bigint      NOT NULL CHECK (size >= 0),
    note      text        NOT NULL CHECK (octet_length(note) <= 65536),
    signed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT audit_checkpoints_pkey PRIMARY KEY (origin, size)
);

CREATE FUNCTION custos_audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit log tables are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

-- A head only moves forward, one entry at a time per appended row; it is never removed.
CREATE FUNCTION custos_audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.origin <> OLD.origin OR NEW.tenant_id IS DISTINCT FROM OLD.tenant_id OR NEW.size < OLD.size
       OR NEW.last_timestamp_ms < OLD.last_timestamp_ms
       OR (SELECT count(*) FROM audit_entries WHERE origin = NEW.origin AND idx >= OLD.size) <> NEW.size - OLD.size
       OR (NEW.size > 0 AND NEW.last_leaf_hash IS DISTINCT FROM
           (SELECT leaf_hash FROM audit_entries WHERE origin = NEW.origin AND idx = NEW.size - 1)) THEN
        RAISE EXCEPTION 'audit log head of % may only move forward over appended entries', OLD.origin
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION custos_audit_reject_change();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_reject_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION custos_audit_reject_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_reject_change();
CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION custos_audit_reject_change();
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_reject_change();
CREATE TRIGGER audit_logs_forward_only BEFORE UPDATE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION custos_audit_head_forward();
