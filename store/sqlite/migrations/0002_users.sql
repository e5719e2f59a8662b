-- Users hold only a hash of their API token.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT UNIQUE,              -- NULL when none; compared lower-cased
    time_zone     TEXT NOT NULL,
    picks_per_day INTEGER NOT NULL,
    digest        INTEGER NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL
) STRICT;

-- The append-only log of thumbs, and the current vote per (user, paper).
CREATE TABLE feedback_events (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    paper_id TEXT NOT NULL,
    value    TEXT NOT NULL CHECK (value IN ('up', 'down', 'none')),
    at       INTEGER NOT NULL
) STRICT;
CREATE INDEX feedback_events_user ON feedback_events (user_id, seq);

CREATE TABLE votes (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    paper_id TEXT NOT NULL,
    value    TEXT NOT NULL CHECK (value IN ('up', 'down')),
    at       INTEGER NOT NULL,
    PRIMARY KEY (user_id, paper_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX votes_up_at ON votes (value, at);

-- Running sums a profile is derived from, in one vector space.
CREATE TABLE profiles (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    space      TEXT NOT NULL,
    up_sum     BLOB NOT NULL,
    down_sum   BLOB NOT NULL,
    up_w       REAL NOT NULL,
    down_w     REAL NOT NULL,
    ref_time   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
