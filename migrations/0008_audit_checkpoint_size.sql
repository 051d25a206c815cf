-- A stored checkpoint's size column must be the size its signed note states (its second line,
-- decimal without leading zeros, C2SP tlog-checkpoint). Signers and readers pick the latest
-- checkpoint by this column; without the check a row could claim a larger tree than its note
-- (or than the log) and make a log look checkpointed.
ALTER TABLE audit_checkpoints ADD CONSTRAINT audit_checkpoints_size_is_the_notes
    CHECK (split_part(note, E'\n', 2) = size::text);
