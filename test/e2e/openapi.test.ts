import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { askRequestSchema, askViewSchema, type AskView } from '@rag/contract';
import { api } from '@rag/testing';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { ADMIN_PATH } from '../../apps/gateway/src/admin.ts';
import { listRoutes } from '../../apps/gateway/src/openapi/list-routes.ts';
import { askAcceptedSchema, errorSchema } from '../../apps/gateway/src/openapi/schemas.ts';

/** The parts of an OpenAPI 3.1 document these tests read. */
interface Operation {
  operationId?: string;
  summary?: string;
  responses: Record<string, unknown>;
  requestBody?: { content: Record<string, { schema: { $ref: string }; example?: unknown }> };
}
interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, Operation | undefined>>;
  components: { schemas: Record<string, unknown> };
}

const SAMPLE = path.resolve(import.meta.dirname, '../../data/sample');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Parses with a documented schema and fails on any field the schema would drop (an undocumented field). */
function assertDocumented(schema: z.ZodType, value: unknown, what: string) {
  const r = schema.safeParse(value);
  assert.ok(r.success, `${what} does not match its documented schema: ${r.success ? '' : r.error.message}`);
  assert.deepEqual(r.data, value, `${what} has fields its documented schema lacks`);
}

describe('the API described by /openapi.json (generated from the zod schemas the gateway validates with)', () => {
  let stack: TestStack;
  let doc: OpenApiDoc;
  before(async () => {
    stack = await startTestStack({ workers: 1, ingest: [SAMPLE] });
    const res = await api<OpenApiDoc>(stack.url, '/openapi.json');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    doc = res.json;
  });
  after(() => stack.close());

  test('is OpenAPI 3.1 and every operation has an id, a summary and responses', () => {
    assert.equal(doc.openapi, '3.1.0');
    const ids = new Set<string>();
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const m of METHODS) {
        const op = item[m];
        if (!op) continue;
        assert.ok(op.operationId && op.summary && Object.keys(op.responses).length, `${m} ${p}`);
        assert.ok(!ids.has(op.operationId), `operationId ${op.operationId} used twice`);
        ids.add(op.operationId);
      }
    }
  });

  test('documents exactly the routes Express serves (a new route without its entry fails here)', () => {
    const served = new Set(
      listRoutes(stack.gateway.app, [ADMIN_PATH])
        .filter((r) => r.method !== 'head')
        .map((r) => `${r.method.toUpperCase()} ${r.path}`),
    );
    const documented = new Set<string>();
    for (const [p, item] of Object.entries(doc.paths))
      for (const m of METHODS) if (item[m]) documented.add(`${m.toUpperCase()} ${p}`);
    // Sanity: the walk found the routers mounted under prefixes, aliases included.
    for (const r of ['POST /v1/ask', 'GET /ask/{id}', 'GET /monitoring/pool-status', 'GET /openapi.json'])
      assert.ok(served.has(r), `route listing found ${r}`);
    const undocumented = [...served].filter((r) => !documented.has(r));
    const phantom = [...documented].filter((r) => !served.has(r));
    assert.deepEqual(undocumented, [], 'routes missing from the OpenAPI document (add them under openapi/paths)');
    assert.deepEqual(phantom, [], 'documented operations that no route serves');
  });

  test("POST /v1/ask's request schema is the route's validator, field for field", async () => {
    const askBody = doc.paths['/v1/ask'].post?.requestBody?.content['application/json'];
    assert.ok(askBody, 'POST /v1/ask documents a JSON body');
    const { $ref } = askBody.schema;
    const documented = doc.components.schemas[$ref.replace('#/components/schemas/', '')];
    const { $schema: _, ...fromValidator } = z.toJSONSchema(askRequestSchema, { io: 'input' });
    assert.deepEqual(documented, fromValidator);
    assert.deepEqual(Object.keys(fromValidator.properties ?? {}).sort(), Object.keys(askRequestSchema.shape).sort());
    // And the live route agrees: the documented example is accepted, a field the document lacks is refused.
    const example = askBody.example as Record<string, unknown>;
    const ok = await api(stack.url, '/v1/ask', { method: 'POST', json: example });
    assert.ok([200, 202].includes(ok.status), JSON.stringify(ok.json));
    const bad = await api<z.infer<typeof errorSchema>>(stack.url, '/v1/ask', {
      method: 'POST',
      json: { ...example, notDocumented: 1 },
    });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.json.error.details), /notDocumented/);
  });

  test('real responses match their documented schemas with no undocumented field', async () => {
    const answered = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      headers: { prefer: 'wait=20' },
      json: { question: 'Bảo đảm dự thầu là gì?', topK: 3 },
    });
    assert.equal(answered.status, 200, JSON.stringify(answered.json));
    assert.ok(answered.json.result!.citations.length > 0);
    assertDocumented(askViewSchema, answered.json, 'a completed ask');
    const queued = await api<AskView>(stack.url, '/v1/ask', {
      method: 'POST',
      json: { question: 'nhà thầu liên danh là gì' },
    });
    if (queued.status === 202) assertDocumented(askAcceptedSchema, queued.json, 'an accepted ask');
    assertDocumented(askViewSchema, (await api(stack.url, `/v1/ask/${queued.json.id}?wait=20`)).json, 'a read ask');
    for (const [p, init] of [
      ['/v1/ask/does-not-exist', {}],
      ['/v1/ask', { method: 'POST', json: { question: '' } }],
      ['/v1/ask', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } }],
    ] as const) {
      const res = await api(stack.url, p, init);
      assert.ok(res.status >= 400, p);
      const documented = doc.paths[p.startsWith('/v1/ask/') ? '/v1/ask/{id}' : p][init.method?.toLowerCase() ?? 'get'];
      assert.ok(documented?.responses[String(res.status)], `${res.status} of ${p} is documented`);
      assertDocumented(errorSchema, res.json, `the ${res.status} of ${p}`);
    }
  });

  test('/docs is a reference served by the gateway alone, under a self-only CSP', async () => {
    const page = await api(stack.url, '/docs');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const refs = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((r) => r !== 'data:,');
    assert.ok(refs.length >= 3, page.text);
    for (const ref of refs) {
      assert.match(ref, /^\/assets\//, `${ref} is served from this origin`);
      const asset = await fetch(`${stack.url}${ref}`);
      assert.equal(asset.status, 200, ref);
      assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
      await asset.arrayBuffer();
    }
  });

  test('the page, the reference and its assets are gzipped for a client that accepts it, to the same bytes', async () => {
    // node:http, which (unlike fetch) neither asks for nor undoes compression by itself.
    const get = (p: string, encoding: string) =>
      new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        http
          .get(`${stack.url}${p}`, { headers: { 'accept-encoding': encoding } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
            res.on('error', reject);
          })
          .on('error', reject);
      });
    const docs = await api(stack.url, '/docs');
    const viewer = [...docs.text.matchAll(/(?:src|href)="(\/assets\/swagger-ui-[^"]+)"/g)].map((m) => m[1]);
    const bundle = viewer.find((v) => v.endsWith('.js'));
    assert.ok(bundle && viewer.length === 2, `the reference names its viewer's script and stylesheet: ${viewer}`);
    // (Responses under 1 KiB, like /docs itself, are not worth compressing and go out as they are.)
    for (const p of ['/', '/openapi.json', ...viewer]) {
      const plain = await get(p, 'identity');
      const gz = await get(p, 'gzip');
      assert.equal(plain.headers['content-encoding'], undefined, p);
      assert.equal(gz.headers['content-encoding'], 'gzip', p);
      assert.match(String(gz.headers.vary), /accept-encoding/i, p);
      assert.ok(gz.body.length < plain.body.length, `${p}: ${gz.body.length} < ${plain.body.length} bytes`);
      assert.ok(gunzipSync(gz.body).equals(plain.body), `${p} decompresses to the same bytes`);
    }
    const gz = await get(bundle, 'gzip');
    assert.ok(gz.body.length < 1024 * 1024, `the viewer's script goes out in ${gz.body.length} bytes`);
  });
});
