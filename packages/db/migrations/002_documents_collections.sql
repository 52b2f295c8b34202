-- Up Migration
-- Collections, uploaded documents and their ingestion records (issue 11, CONTRACT.md "Documents over HTTP").
--
-- documents.document_id is the id users give (CLI: the file's relative path; HTTP: the `documentId` field), unique
-- within a collection. documents.id becomes an opaque key derived from both,
-- 'doc_' + the first 24 hex digits of sha256(collection || E'\n' || document_id), so the CLI and the gateway name
-- the same document the same way without a lookup, and it is safe in a URL path. chunks.document_id stays the
-- foreign key to documents.id (the opaque key).

ALTER TABLE documents
  ADD COLUMN collection text NOT NULL DEFAULT 'default',
  ADD COLUMN document_id text,
  ADD COLUMN page_count integer,
  ADD COLUMN latest_version bigint;
UPDATE documents SET document_id = id;
ALTER TABLE documents ALTER COLUMN document_id SET NOT NULL;
ALTER TABLE documents ADD CONSTRAINT documents_collection_document_id_key UNIQUE (collection, document_id);

ALTER TABLE chunks DROP CONSTRAINT chunks_document_id_fkey;
UPDATE documents
SET id = 'doc_' || left(encode(sha256(convert_to(collection || E'\n' || document_id, 'UTF8')), 'hex'), 24);
UPDATE chunks c SET document_id = d.id FROM documents d WHERE d.document_id = c.document_id;
ALTER TABLE chunks
  ADD CONSTRAINT chunks_document_id_fkey FOREIGN KEY (document_id) REFERENCES documents(id) ON DELETE CASCADE;

-- The collection is copied onto each chunk so a search filters by it inside the HNSW scan (pgvector 0.8 iterative
-- scans keep walking the graph until enough rows pass the filter) without a join per candidate. The btree lets the
-- planner pick an exact scan of a small collection instead (measured: docs/benchmarks.md, collections).
ALTER TABLE chunks
  ADD COLUMN collection text NOT NULL DEFAULT 'default',
  ADD COLUMN page integer;
CREATE INDEX chunks_collection ON chunks (collection);

-- Listing a collection newest first, keyset-paginated.
CREATE INDEX documents_collection_created ON documents (collection, created_at DESC, id DESC);

-- One row per upload: the stored bytes (a large object, written as the upload streams in) and the ingestion's
-- state. The id orders uploads of one document: a version is applied only if no newer one was applied before it.
CREATE TABLE document_versions (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_key  text NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
  file_name     text NOT NULL,
  title         text,
  byte_size     bigint NOT NULL,
  sha256        text NOT NULL,
  content_oid   oid,
  progress      jsonb,
  page_count    integer,
  chunk_count   integer,
  attempts      integer NOT NULL DEFAULT 0,
  error_code    text,
  error_message text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz
);
CREATE INDEX document_versions_document ON document_versions (document_key, id DESC);
-- The sweep that re-enqueues uploads whose job was lost looks only at unfinished ones.
CREATE INDEX document_versions_unfinished ON document_versions (updated_at) WHERE status IN ('queued', 'processing');

-- A version's bytes live exactly as long as the row points at them: unlinked when the row goes (a deleted
-- document cascades here) or when the pointer is cleared.
CREATE FUNCTION document_versions_unlink_content() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.content_oid IS NOT NULL AND (TG_OP = 'DELETE' OR NEW.content_oid IS DISTINCT FROM OLD.content_oid) THEN
    PERFORM lo_unlink(OLD.content_oid);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER document_versions_unlink_content
  AFTER DELETE OR UPDATE OF content_oid ON document_versions
  FOR EACH ROW EXECUTE FUNCTION document_versions_unlink_content();

-- Down Migration
DROP TABLE IF EXISTS document_versions;
DROP FUNCTION IF EXISTS document_versions_unlink_content();
DROP INDEX IF EXISTS documents_collection_created;
ALTER TABLE chunks DROP COLUMN IF EXISTS page, DROP COLUMN IF EXISTS collection;
ALTER TABLE chunks DROP CONSTRAINT chunks_document_id_fkey;
UPDATE chunks c SET document_id = d.document_id FROM documents d WHERE d.id = c.document_id;
UPDATE documents SET id = document_id;
ALTER TABLE chunks
  ADD CONSTRAINT chunks_document_id_fkey FOREIGN KEY (document_id) REFERENCES documents(id) ON DELETE CASCADE;
ALTER TABLE documents DROP CONSTRAINT documents_collection_document_id_key;
ALTER TABLE documents
  DROP COLUMN latest_version, DROP COLUMN page_count, DROP COLUMN document_id, DROP COLUMN collection;
