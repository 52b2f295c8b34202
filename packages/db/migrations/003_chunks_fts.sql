-- Up Migration
-- Lexical arm of hybrid retrieval (packages/db/src/queries/search-chunks.ts): a diacritic-folded full-text vector of
-- every chunk. 'simple' keeps every word as it is (no stemming or stop words: Vietnamese syllables are not English
-- words) and keeps positions, so a question's adjacent syllables match as phrases ('bao' <-> 'dam'). unaccent is
-- STABLE (its dictionary could change), so a generated column needs an IMMUTABLE wrapper naming the dictionary
-- explicitly; the question is folded with the same function, so both sides agree.
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE FUNCTION rag_fold(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

ALTER TABLE chunks
  ADD COLUMN fts tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, rag_fold(content))) STORED;

CREATE INDEX chunks_fts_gin ON chunks USING gin (fts);

-- Down Migration
DROP INDEX IF EXISTS chunks_fts_gin;
ALTER TABLE chunks DROP COLUMN IF EXISTS fts;
DROP FUNCTION IF EXISTS rag_fold(text);
