-- Delivery: shared settings (the server secret), the record of each daily
-- email per (user, date), readers' web sessions and feed tokens. Times are
-- microseconds since the epoch, 0 for none, as in 0001.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

CREATE TABLE digest_sends (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    date         TEXT NOT NULL,             -- YYYY-MM-DD
    status       TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'gave_up', 'skipped')),
    attempts     INTEGER NOT NULL,
    lease_until  INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL DEFAULT 0,
    sent_at      INTEGER NOT NULL DEFAULT 0,
    message_id   TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (date, user_id)
) STRICT, WITHOUT ROWID;
-- The user's rows go with the user (ON DELETE CASCADE looks them up by user).
CREATE INDEX digest_sends_user ON digest_sends (user_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE feed_tokens (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

-- PickDates reads a user's dates newest first.
CREATE INDEX picks_user_date ON picks (user_id, date);
