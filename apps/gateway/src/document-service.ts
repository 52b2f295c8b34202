import type { Queue } from 'bullmq';
import type { DocumentView } from '@rag/contract';
import {
  changeCorpus,
  createVersion,
  deleteDocument,
  dropContent,
  getDocumentView,
  inTransaction,
  listDocuments,
  type Pool,
} from '@rag/db';
import type { Logger } from '@rag/observability';
import {
  INGEST_JOB,
  ingestJobId,
  ingestJobOptions,
  publishCorpusVersion,
  type IngestJobData,
  type Redis,
  type RedisKeys,
} from '@rag/queue';
import type { ReceivedUpload } from './document-upload.ts';

interface DocumentServiceDeps {
  pool: Pool;
  queue: Queue<IngestJobData>;
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
}

export const DOCUMENT_KEY = /^doc_[0-9a-f]{24}$/;

/** Recording uploads, queueing their ingestion, reading, listing and deleting documents: no HTTP here. */
export class DocumentService {
  private readonly d: DocumentServiceDeps;
  constructor(deps: DocumentServiceDeps) {
    this.d = deps;
  }

  /**
   * Records a received upload (document row + queued version, one transaction) and queues its ingestion. The
   * record is committed before the job is added: a job never points at nothing, and if adding it fails (Redis
   * down) the workers' sweep finds the queued version and adds it then, so the upload is still acknowledged.
   */
  async accept(
    upload: ReceivedUpload,
    meta: { collection: string; documentId: string; title?: string },
  ): Promise<DocumentView> {
    const ids = await inTransaction(this.d.pool, (client) =>
      createVersion(client, {
        collection: meta.collection,
        documentId: meta.documentId,
        title: meta.title,
        fileName: upload.fileName,
        byteSize: upload.byteSize,
        sha256: upload.sha256,
        contentOid: upload.contentOid,
      }),
    ).catch(async (err: unknown) => {
      await dropContent(this.d.pool, upload.contentOid).catch(() => {});
      throw err;
    });
    try {
      await this.d.queue.add(
        INGEST_JOB,
        { versionId: ids.versionId, collection: meta.collection, documentId: meta.documentId },
        { ...ingestJobOptions, jobId: ingestJobId(ids.versionId) },
      );
    } catch (err) {
      this.d.logger.warn(
        { err: (err as Error).message, versionId: ids.versionId },
        'queueing the ingestion failed; the workers sweep will queue it',
      );
    }
    const view = await getDocumentView(this.d.pool, ids.key);
    if (!view) throw new Error('the document was deleted while it was being uploaded');
    return view;
  }

  get(key: string): Promise<DocumentView | null> {
    return DOCUMENT_KEY.test(key) ? getDocumentView(this.d.pool, key) : Promise.resolve(null);
  }

  list(opts: Parameters<typeof listDocuments>[1]) {
    return listDocuments(this.d.pool, opts);
  }

  /**
   * Deletes a document, its chunks and its versions in one transaction that also bumps the corpus version; the
   * new version then goes to Redis, so no answer cached before the delete is served after it.
   */
  async delete(key: string): Promise<boolean> {
    if (!DOCUMENT_KEY.test(key)) return false;
    const { version } = await changeCorpus(
      this.d.pool,
      (client) => deleteDocument(client, key),
      (deleted) => deleted,
    );
    if (version === undefined) return false;
    await publishCorpusVersion(this.d.redis, this.d.keys, version);
    return true;
  }
}
