-- Daily picks per (user, date), and one record per daily run.
CREATE TABLE picks (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    date         TEXT NOT NULL,             -- YYYY-MM-DD
    rank         INTEGER NOT NULL,
    paper_id     TEXT NOT NULL,
    score        REAL NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL,
    delivered_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, date, rank),
    UNIQUE (user_id, date, paper_id)
) STRICT;
CREATE INDEX picks_user_paper ON picks (user_id, paper_id);

CREATE TABLE runs (
    date        TEXT PRIMARY KEY,
    started_at  INTEGER NOT NULL,
    cutoff      INTEGER NOT NULL,           -- papers that arrived before it are candidates; kept by reruns
    finished_at INTEGER NOT NULL DEFAULT 0,
    users       INTEGER NOT NULL DEFAULT 0,
    picks       INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL,
    error       TEXT NOT NULL DEFAULT ''
) STRICT;
