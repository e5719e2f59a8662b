-- A 512-dimensional float32 vector is 2 KiB: just over the size (about
-- 2 KB) from which PostgreSQL compresses a row's largest values and moves
-- them out of line into the TOAST table. Floats do not compress, so every
-- vector and profile written paid for the attempt plus a second table and
-- index write, and every read a second lookup. Rows up to a page (8 KB)
-- now stay whole; bigger ones (3,072 dimensions) are toasted as before.
ALTER TABLE paper_vectors SET (toast_tuple_target = 8160);
ALTER TABLE embedding_cache SET (toast_tuple_target = 8160);
ALTER TABLE profiles SET (toast_tuple_target = 8160);
