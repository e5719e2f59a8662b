-- Delivery: shared settings (the server secret), the record of each daily
-- email per (user, date), readers' web sessions and feed tokens. Mirrors
-- sqlite/0004_delivery.sql; time columns follow the rule in 0001
-- ('-infinity' is the zero time).
CREATE TABLE settings (
    name  text PRIMARY KEY,
    value bytea NOT NULL
);

CREATE TABLE digest_sends (
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    date         text NOT NULL,
    status       text NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'gave_up', 'skipped')),
    attempts     integer NOT NULL,
    lease_until  timestamptz NOT NULL DEFAULT '-infinity',
    next_attempt timestamptz NOT NULL DEFAULT '-infinity',
    sent_at      timestamptz NOT NULL DEFAULT '-infinity',
    message_id   text NOT NULL DEFAULT '',
    error        text NOT NULL DEFAULT '',
    PRIMARY KEY (date, user_id)
);
CREATE INDEX digest_sends_user ON digest_sends (user_id);

CREATE TABLE sessions (
    token_hash text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE feed_tokens (
    user_id    text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

CREATE INDEX picks_user_date ON picks (user_id, date);
