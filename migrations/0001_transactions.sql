-- Money movements, one row per recorded transaction. Every business table carries tenant_id,
-- and every query names it. Checks mirror the Domain's rules, so the database refuses what
-- the core would refuse even if a future code path forgot to validate.
CREATE TABLE transactions (
    tenant_id            uuid        NOT NULL,
    id                   uuid        NOT NULL,
    account_id           text        NOT NULL
        CHECK (account_id ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$'),
    counterparty_account text        NOT NULL
        CHECK (counterparty_account ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$'),
    amount_minor         bigint      NOT NULL
        CHECK (amount_minor BETWEEN 1 AND 999999999999999),
    currency             char(3)     NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    direction            text        NOT NULL CHECK (direction IN ('debit', 'credit')),
    kind                 text        NOT NULL CHECK (kind IN ('card', 'transfer', 'cash')),
    occurred_at          timestamptz NOT NULL,
    reference            text        NULL CHECK (char_length(reference) BETWEEN 1 AND 140),
    recorded_at          timestamptz NOT NULL,
    CONSTRAINT transactions_pkey PRIMARY KEY (id)
);

-- Tenant-scoped look-ups by id, and (later) an account's history in time order.
CREATE UNIQUE INDEX transactions_tenant_id_idx ON transactions (tenant_id, id);
CREATE INDEX transactions_tenant_account_occurred_idx ON transactions (tenant_id, account_id, occurred_at);
