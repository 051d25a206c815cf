-- Head rows of audit logs (0002): a head starts empty, and an empty head links to zeros.
-- Without these checks a head row could be inserted or moved to an impossible state
-- (size 0 with a non-zero last hash), which the application refuses to load.
CREATE FUNCTION custos_audit_head_starts_empty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.size <> 0 OR NEW.last_timestamp_ms <> 0
       OR NEW.last_leaf_hash <> '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea THEN
        RAISE EXCEPTION 'audit log head of % must start empty', NEW.origin USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_logs_start_empty BEFORE INSERT ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION custos_audit_head_starts_empty();

ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_empty_links_to_zeros
    CHECK (size > 0 OR last_leaf_hash = '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
