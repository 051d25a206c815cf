-- Stored Merkle tree nodes (docs/audit-log.md §10). Every 8th level is kept: level 0 is the
-- entries' leaf_hash column, levels 8, 16, ... live here, one row per complete perfect subtree,
-- written with the checkpoint that first covers it. So an inclusion or consistency proof needs
-- a few hundred stored hashes at most, and a checkpoint extends the tree from its right edge
-- instead of rehashing the log. A node never changes once its subtree is complete: the table is
-- append-only like the entries. Nodes are derived data; the signer checks every node it reads
-- against a signed root, and auditors check proofs against signed checkpoints.
CREATE TABLE audit_tree_nodes (
    origin text     NOT NULL REFERENCES audit_logs (origin),
    level  smallint NOT NULL CHECK (level BETWEEN 8 AND 56 AND level % 8 = 0),
    idx    bigint   NOT NULL CHECK (idx >= 0),
    hash   bytea    NOT NULL CHECK (octet_length(hash) = 32),
    CONSTRAINT audit_tree_nodes_pkey PRIMARY KEY (origin, level, idx)
);

CREATE TRIGGER audit_tree_nodes_append_only BEFORE UPDATE OR DELETE ON audit_tree_nodes
    FOR EACH ROW EXECUTE FUNCTION custos_audit_reject_change();
CREATE TRIGGER audit_tree_nodes_no_truncate BEFORE TRUNCATE ON audit_tree_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_reject_change();
