-- Vectors are 2 KiB blobs: in a WITHOUT ROWID table every one spills into
-- overflow pages of the primary-key b-tree, which made inserts slow down
-- as the catalog grew. A rowid table with a unique index keeps the key
-- b-tree small and the blobs in the table's own pages.
CREATE TABLE paper_vectors_new (
    paper_id  TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    space     TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    vec       BLOB NOT NULL
) STRICT;
INSERT INTO paper_vectors_new (paper_id, space, text_hash, vec)
    SELECT paper_id, space, text_hash, vec FROM paper_vectors ORDER BY space, paper_id;
DROP TABLE paper_vectors;
ALTER TABLE paper_vectors_new RENAME TO paper_vectors;
CREATE UNIQUE INDEX paper_vectors_space_paper ON paper_vectors (space, paper_id);
