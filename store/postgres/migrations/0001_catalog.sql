-- Papers are the truth of the catalog; vectors are derived and keyed by the
-- space (embedder name) that made them. Mirrors sqlite/0001_catalog.sql.
--
-- Every timestamptz column holds UTC at microsecond precision and
-- '-infinity' for Go's zero time.Time (SQLite stores 0 for it): it sorts
-- before every real time, as the zero time does. Lists are the
-- JSON text of store.EncodeList, vectors the bytes of store.EncodeVector,
-- so both backends hold the same values.
CREATE TABLE papers (
    id          text PRIMARY KEY,
    title       text NOT NULL,
    abstract    text NOT NULL,
    authors     text NOT NULL DEFAULT '[]',
    url         text NOT NULL DEFAULT '',
    published   timestamptz NOT NULL DEFAULT '-infinity',
    categories  text NOT NULL DEFAULT '[]',
    upvotes     integer NOT NULL DEFAULT 0,
    source      text NOT NULL DEFAULT '',
    text_hash   text NOT NULL,
    added_at    timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX papers_added_at ON papers (added_at);

CREATE TABLE paper_vectors (
    paper_id  text NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    space     text NOT NULL,
    text_hash text NOT NULL,
    vec       bytea NOT NULL,
    PRIMARY KEY (space, paper_id)
);
-- The foreign key's ON DELETE CASCADE looks vectors up by paper.
CREATE INDEX paper_vectors_paper_id ON paper_vectors (paper_id);

CREATE TABLE embedders (
    kind       text NOT NULL,
    name       text NOT NULL,
    state      bytea NOT NULL,
    fit_docs   integer NOT NULL,
    active     boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (kind, name)
);
-- At most one active state per kind; activation clears the old one first.
CREATE UNIQUE INDEX embedders_one_active ON embedders (kind) WHERE active;

CREATE TABLE embedding_cache (
    space     text NOT NULL,
    text_hash text NOT NULL,
    vec       bytea NOT NULL,
    PRIMARY KEY (space, text_hash)
);
