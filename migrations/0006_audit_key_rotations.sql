-- Key rotations of audit logs (docs/audit-log.md §5.3). A rotation is announced by a
-- log.key_rotated entry in the log itself; the checkpoint signer stores it here with the first
-- checkpoint that covers that entry (in the same transaction), so that later checkpoints know
-- which key versions sign. Append-only like the rest of the audit tables.
CREATE TABLE audit_key_rotations (
    origin           text    NOT NULL REFERENCES audit_logs (origin),
    version          integer NOT NULL CHECK (version >= 2),
    entry_idx        bigint  NOT NULL CHECK (entry_idx >= 0),
    overlap_until_ms bigint  NOT NULL CHECK (overlap_until_ms >= 0),
    CONSTRAINT audit_key_rotations_pkey PRIMARY KEY (origin, version),
    CONSTRAINT audit_key_rotations_announced_by_an_entry FOREIGN KEY (origin, entry_idx) REFERENCES audit_entries (origin, idx)
);

CREATE TRIGGER audit_key_rotations_append_only BEFORE UPDATE OR DELETE ON audit_key_rotations
    FOR EACH ROW EXECUTE FUNCTION custos_audit_reject_change();
CREATE TRIGGER audit_key_rotations_no_truncate BEFORE TRUNCATE ON audit_key_rotations
    FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_reject_change();
