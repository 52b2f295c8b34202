import type http from 'node:http';
import { StartError } from './start-error.ts';

/**
 * Starts `server` on host:port and returns the URL it answers on (loopback when bound to every interface).
 * A port in use is a StartError naming the setting to change (classified by the error's code, EADDRINUSE).
 */
export async function listen(
  server: http.Server,
  opts: { port: number; host: string; setting: string },
): Promise<string> {
  await new Promise<void>((resolve, reject) => {
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
  const { port } = server.address() as { port: number };
  return `http://${opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host}:${port}`;
}
