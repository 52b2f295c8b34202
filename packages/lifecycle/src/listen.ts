import type http from 'node:http';
import { StartError } from './start-error.ts';

interface ListenOptions {
  port: number;
  host: string;
  /** The setting that chose the port, named in the error when it is taken. */
  setting: string;
  /** The setting was not given explicitly: when the port is taken, take any free one instead. */
  fallbackToFreePort?: boolean;
}

/**
 * Starts `server` on host:port and returns the URL it answers on (loopback when bound to every interface).
 * A port in use is a StartError naming the setting to change (classified by the error's code, EADDRINUSE), unless
 * `fallbackToFreePort`.
 */
export async function listen(server: http.Server, opts: ListenOptions): Promise<string> {
  try {
    await bind(server, opts);
  } catch (err) {
    if (!(err instanceof StartError && opts.fallbackToFreePort && opts.port !== 0)) throw err;
    await bind(server, { ...opts, port: 0 });
  }
  const { port } = server.address() as { port: number };
  return `http://${opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host}:${port}`;
}

function bind(server: http.Server, opts: ListenOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new StartError(
              `${opts.setting} ${opts.port} is already in use on ${opts.host}; stop what holds it or set ${opts.setting} to a free port`,
              { cause: err },
            )
          : err,
      );
    };
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
