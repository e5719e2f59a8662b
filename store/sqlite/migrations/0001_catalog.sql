-- Papers are the truth of the catalog; vectors are derived and keyed by the
-- space (embedder name) that made them.
CREATE TABLE papers (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    abstract    TEXT NOT NULL,
    authors     TEXT NOT NULL DEFAULT '[]',
    url         TEXT NOT NULL DEFAULT '',
    published   INTEGER NOT NULL DEFAULT 0,
    categories  TEXT NOT NULL DEFAULT '[]',
    upvotes     INTEGER NOT NULL DEFAULT 0,
    source      TEXT NOT NULL DEFAULT '',
    text_hash   TEXT NOT NULL,
    added_at    INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX papers_added_at ON papers (added_at);

CREATE TABLE paper_vectors (
    paper_id  TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    space     TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    vec       BLOB NOT NULL,
    PRIMARY KEY (space, paper_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE embedders (
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    state      BLOB NOT NULL,
    fit_docs   INTEGER NOT NULL,
    active     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (kind, name)
) STRICT;

CREATE TABLE embedding_cache (
    space     TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    vec       BLOB NOT NULL,
    PRIMARY KEY (space, text_hash)
) STRICT, WITHOUT ROWID;
