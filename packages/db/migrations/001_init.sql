-- Up Migration
-- Documents and their chunks. The embedding dimension is a deployment choice (EMBEDDING_DIM): the migration
-- runner passes it as the session setting rag.embedding_dim, because a vector column is typed by its dimension.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE documents (
  id           text PRIMARY KEY,
  title        text NOT NULL,
  source       text,
  metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
  content_hash text NOT NULL,
  chunk_count  integer NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

DO $$
BEGIN
  EXECUTE format(
    'CREATE TABLE chunks (
       id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       document_id text NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
       ordinal     integer NOT NULL,
       content     text NOT NULL,
       metadata    jsonb NOT NULL DEFAULT %L::jsonb,
       embedding   vector(%s) NOT NULL,
       UNIQUE (document_id, ordinal)
     )',
    '{}',
    coalesce(nullif(current_setting('rag.embedding_dim', true), ''), '384')::int);
END
$$;

-- Cosine distance, as the embeddings are L2-normalised. m/ef_construction chosen by measurement (docs/benchmarks.md).
CREATE INDEX chunks_embedding_hnsw ON chunks USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);

-- One row: the corpus version that ingestion bumps, so answer caches keyed by it never serve a stale answer.
CREATE TABLE corpus_state (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version    bigint NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO corpus_state DEFAULT VALUES;

-- Down Migration
DROP TABLE IF EXISTS corpus_state;
DROP TABLE IF EXISTS chunks;
DROP TABLE IF EXISTS documents;
