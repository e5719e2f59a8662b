-- Daily picks per (user, date), and one record per daily run. Mirrors
-- sqlite/0003_picks.sql; dates stay YYYY-MM-DD text as in the contract,
-- and delivered_at/finished_at are '-infinity' (the zero time) until set.
CREATE TABLE picks (
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    date         text NOT NULL,
    rank         integer NOT NULL,
    paper_id     text NOT NULL,
    score        double precision NOT NULL,
    reason       text NOT NULL DEFAULT '',
    kind         text NOT NULL,
    delivered_at timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (user_id, date, rank),
    UNIQUE (user_id, date, paper_id)
);
CREATE INDEX picks_user_paper ON picks (user_id, paper_id);

CREATE TABLE runs (
    date        text PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    cutoff      timestamptz NOT NULL,    -- papers that arrived before it are candidates; kept by reruns
    finished_at timestamptz NOT NULL DEFAULT '-infinity',
    users       integer NOT NULL DEFAULT 0,
    picks       integer NOT NULL DEFAULT 0,
    status      text NOT NULL,
    error       text NOT NULL DEFAULT ''
);
