-- Users hold only a hash of their API token. Mirrors sqlite/0002_users.sql;
-- time columns follow the rule in 0001 ('-infinity' is the zero time).
CREATE TABLE users (
    id            text PRIMARY KEY,
    email         text UNIQUE,              -- NULL when none; stored lower-cased
    time_zone     text NOT NULL,
    picks_per_day integer NOT NULL,
    digest        boolean NOT NULL,
    token_hash    text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL
);

-- The append-only log of thumbs, and the current vote per (user, paper).
-- seq orders a user's events: ApplyFeedback locks the user's row first, so
-- one user's events are numbered in the order they were applied.
CREATE TABLE feedback_events (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    paper_id text NOT NULL,
    value    text NOT NULL CHECK (value IN ('up', 'down', 'none')),
    at       timestamptz NOT NULL
);
CREATE INDEX feedback_events_user ON feedback_events (user_id, seq);

CREATE TABLE votes (
    user_id  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    paper_id text NOT NULL,
    value    text NOT NULL CHECK (value IN ('up', 'down')),
    at       timestamptz NOT NULL,
    PRIMARY KEY (user_id, paper_id)
);
-- Trending reads recent up votes only.
CREATE INDEX votes_up_at ON votes (at) WHERE value = 'up';

-- Running sums a profile is derived from, in one vector space.
CREATE TABLE profiles (
    user_id    text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    space      text NOT NULL,
    up_sum     bytea NOT NULL,
    down_sum   bytea NOT NULL,
    up_w       double precision NOT NULL,
    down_w     double precision NOT NULL,
    ref_time   timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
