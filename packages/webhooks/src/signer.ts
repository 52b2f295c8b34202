import { Webhook } from 'standardwebhooks';

/** The three Standard Webhooks headers of one delivery attempt. */
interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs deliveries per the Standard Webhooks spec with the standardwebhooks library: `v1,` + base64 of
 * HMAC-SHA256 over `id.timestamp.body`, keyed with the secret's bytes (the library strips `whsec_` and decodes
 * the base64). Receivers verify with the same library and secret.
 */
export class WebhookSigner {
  private readonly webhook: Webhook;
  constructor(secret: string) {
    this.webhook = new Webhook(secret);
  }

  /** Headers for one attempt: the id is the message's (the same on every attempt), the timestamp this attempt's. */
  sign(id: string, body: string, at: Date = new Date()): SignedHeaders {
    return {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': this.webhook.sign(id, at, body),
    };
  }
}
