-- A local embedder's state is tens of MB of floats (48 MB for 23,000 terms
-- × 512 dimensions): stored out of line as it is, without a compression
-- attempt that finds nothing and took a second of the first ingest.
ALTER TABLE embedders ALTER COLUMN state SET STORAGE EXTERNAL;
