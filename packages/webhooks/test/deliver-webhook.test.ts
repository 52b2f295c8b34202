import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { startWebhookReceiver, freePort, type WebhookReceiver } from '@rag/testing';
import {
  deliverWebhook,
  resolveCallbackTarget,
  systemResolve,
  WebhookSigner,
  MAX_RESPONSE_BYTES,
  type DeliveryOptions,
  type Resolve,
} from '../src/index.ts';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const signer = new WebhookSigner(SECRET);
const body = JSON.stringify({ id: 'ask-1', status: 'completed', result: { answer: 'Xin chào [1].' } });
/** Loopback receivers: private targets allowed, as in every test with a local receiver. */
const loopback: DeliveryOptions = { signer, allowPrivate: true, resolve: systemResolve, timeoutMs: 5000 };

describe('webhook delivery', () => {
  let receivers: WebhookReceiver[] = [];
  const receiver = async (...args: Parameters<typeof startWebhookReceiver>) => {
    const r = await startWebhookReceiver(...args);
    receivers.push(r);
    return r;
  };
  after(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    receivers = [];
  });

  test('POSTs the body with Standard Webhooks headers that the library verifies with the secret', async () => {
    const r = await receiver();
    const out = await deliverWebhook({ id: 'msg_ask-1', url: `${r.url}/hooks?src=rag`, body }, loopback);
    assert.equal(out.ok, true);
    assert.equal(out.status, 200);
    const [got] = r.received;
    assert.equal(got.body, body);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['webhook-id'], 'msg_ask-1');
    assert.equal(got.headers['webhook-timestamp'], out.timestamp);
    assert.match(String(got.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]+=*$/);
    const headers = {
      'webhook-id': String(got.headers['webhook-id']),
      'webhook-timestamp': String(got.headers['webhook-timestamp']),
      'webhook-signature': String(got.headers['webhook-signature']),
    };
    assert.deepEqual(new Webhook(SECRET).verify(got.body, headers), JSON.parse(body));
    // Another key, or a body changed on the way, does not verify.
    const other = new Webhook(`whsec_${randomBytes(32).toString('base64')}`);
    assert.throws(() => other.verify(got.body, headers), WebhookVerificationError);
    assert.throws(() => new Webhook(SECRET).verify(got.body.replace('Xin', 'Xim'), headers), WebhookVerificationError);
  });

  test('a non-2xx answer is a failure worth retrying', async () => {
    const r = await receiver(() => 500);
    const out = await deliverWebhook({ id: 'm', url: r.url, body }, loopback);
    assert.deepEqual([out.ok, out.kind, out.status, out.retryable], [false, 'http_status', 500, true]);
  });

  test('a redirect is not followed and counts as a failure', async () => {
    const elsewhere = await receiver();
    const r = await receiver((_n, _req, res) => {
      res.writeHead(307, { location: `${elsewhere.url}/stolen` }).end();
      return 'handled';
    });
    const out = await deliverWebhook({ id: 'm', url: r.url, body }, loopback);
    assert.deepEqual([out.ok, out.kind, out.status], [false, 'http_status', 307]);
    assert.equal(r.received.length, 1);
    assert.equal(elsewhere.received.length, 0, 'the redirect target was never contacted');
  });

  test('a receiver that does not answer times out', async () => {
    const r = await receiver(() => 'handled'); // reads the request, never answers
    const t0 = Date.now();
    const out = await deliverWebhook({ id: 'm', url: r.url, body }, { ...loopback, timeoutMs: 300 });
    assert.deepEqual([out.ok, out.kind, out.retryable], [false, 'timeout', true]);
    assert.equal(r.received.length, 1);
    assert.ok(Date.now() - t0 < 10_000, 'gave up long before a hung receiver would let go');
  });

  test('a 2xx is delivered even when its body then drips past the timeout', async () => {
    const r = await receiver((_n, _req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('accepted, and then nothing more for a long time');
      return 'handled';
    });
    const out = await deliverWebhook({ id: 'm', url: r.url, body }, { ...loopback, timeoutMs: 300 });
    assert.deepEqual([out.ok, out.kind, out.status], [true, 'delivered', 200]);
  });

  test('a large response body is not read past the cap, and the connection is closed', async () => {
    const total = 64 * 1024 * 1024;
    let sent = 0;
    let finished = false;
    let connectionClosed!: () => void;
    const closed = new Promise<void>((resolve) => (connectionClosed = resolve));
    const r = await receiver((_n, _req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 120);
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end(() => (finished = true));
      };
      res.on('close', () => connectionClosed());
      pump();
      return 'handled';
    });
    const out = await deliverWebhook({ id: 'm', url: r.url, body }, loopback);
    await closed;
    assert.equal(out.ok, true);
    assert.ok(out.bytesRead >= MAX_RESPONSE_BYTES, `read ${out.bytesRead}`);
    assert.ok(out.bytesRead < MAX_RESPONSE_BYTES + 256 * 1024, `read ${out.bytesRead} bytes, far past the cap`);
    assert.equal(finished, false, 'the receiver could not finish sending: the client closed the connection');
    assert.ok(sent < total, `the receiver sent ${sent} of ${total} bytes before the connection closed`);
  });

  test('a receiver that is down is a network failure worth retrying', async () => {
    const port = await freePort();
    const out = await deliverWebhook({ id: 'm', url: `http://127.0.0.1:${port}/`, body }, loopback);
    assert.deepEqual([out.ok, out.kind, out.retryable], [false, 'network', true]);
  });
});

describe('webhook delivery: DNS rebinding', () => {
  let r: WebhookReceiver;
  before(async () => {
    r = await startWebhookReceiver();
  });
  after(() => r.close());

  test('a name public at submission and private at delivery is refused at delivery, without connecting', async () => {
    // The DNS an attacker controls: a public answer while the ask is checked, loopback when the webhook is sent.
    const answers = ['93.184.215.14', '127.0.0.1'];
    let calls = 0;
    const rebinding: Resolve = async () => {
      const address = answers[Math.min(calls++, answers.length - 1)];
      return [{ address, family: 4 }];
    };
    const url = `http://rebind.example.test:${r.port}/hook`;
    const policy = { allowPrivate: false, resolve: rebinding };
    const checked = await resolveCallbackTarget(url, policy);
    assert.equal(checked.addresses[0].address, '93.184.215.14', 'accepted at submission');
    const out = await deliverWebhook({ id: 'm', url, body }, { ...loopback, ...policy });
    assert.deepEqual([out.ok, out.kind, out.retryable], [false, 'refused', false]);
    assert.match(out.error ?? '', /loopback/);
    assert.equal(r.received.length, 0, 'nothing reached the loopback receiver');
  });

  test('the connection goes to the address that was checked: the name is resolved once per attempt', async () => {
    let calls = 0;
    const counting: Resolve = async () => {
      calls++;
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const out = await deliverWebhook(
      { id: 'm', url: `http://receiver.example.test:${r.port}/`, body },
      { ...loopback, resolve: counting },
    );
    assert.equal(out.ok, true);
    assert.equal(calls, 1, 'the connection used the checked answer instead of asking DNS again');
    assert.equal(r.received.at(-1)?.headers.host, `receiver.example.test:${r.port}`, 'the Host is still the name');
  });

  test('every answer is checked: one private address among public ones is refused', async () => {
    const mixed: Resolve = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '::ffff:127.0.0.1', family: 6 },
    ];
    const before = r.received.length;
    const out = await deliverWebhook(
      { id: 'm', url: `http://mixed.example.test:${r.port}/`, body },
      { ...loopback, allowPrivate: false, resolve: mixed },
    );
    assert.deepEqual([out.ok, out.kind], [false, 'refused']);
    assert.equal(r.received.length, before);
  });
});
