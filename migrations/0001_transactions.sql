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
    occurred_at          timestamptz NOT NULL
        CHECK (occurred_at >= '1970-01-01 00:00:00+00' AND occurred_at < '10000-01-01 00:00:00+00'),
    reference            text        NULL CHECK (char_length(reference) BETWEEN 1 AND 140),
    recorded_at          timestamptz NOT NULL
        CHECK (recorded_at >= '1970-01-01 00:00:00+00' AND recorded_at < '10000-01-01 00:00:00+00'),
    CONSTRAINT transactions_pkey PRIMARY KEY (id)
);

-- An account's history in time order (history features, listings).
CREATE INDEX transactions_tenant_account_occurred_idx ON transactions (tenant_id, account_id, occurred_at);
