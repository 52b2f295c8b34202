import dns from 'node:dns';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address a host name resolves to. Injected so tests can play a DNS that changes its answer. */
export type Resolve = (host: string) => Promise<ResolvedAddress[]>;

/** How long a submission or a delivery waits for the system resolver (it cannot be cancelled, only abandoned). */
const LOOKUP_TIMEOUT_MS = 3000;

/**
 * The system resolver (getaddrinfo: /etc/hosts, then DNS), the same one a connection would use, so `localhost`
 * and names in /etc/hosts are judged by what they really reach. All answers, in the resolver's order.
 */
export const systemResolve: Resolve = async (host) => {
  let timer: NodeJS.Timeout | undefined;
  try {
    const answers = await Promise.race([
      dns.promises.lookup(host, { all: true, order: 'verbatim' }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`DNS lookup timed out after ${LOOKUP_TIMEOUT_MS} ms`)),
          LOOKUP_TIMEOUT_MS,
        );
      }),
    ]);
    return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } finally {
    clearTimeout(timer);
  }
};
