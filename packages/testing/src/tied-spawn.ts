import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';

let setpriv: boolean | undefined;

/**
 * Spawns a server program (redis-server, ...) that dies with this process, however this process ends: through
 * util-linux's `setpriv --pdeathsig SIGKILL`, which sets the kernel's parent-death signal and then execs the
 * program (same pid, so kill() and pid work as usual). A test process killed with -9, or one that exits without
 * running its `after` hooks, would otherwise leave its servers running with PPID 1. Without setpriv (not Linux),
 * a plain spawn: the caller's close() is then the only way they stop.
 */
export function spawnTied(command: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  setpriv ??= spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0;
  return setpriv
    ? spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', command, ...args], opts)
    : spawn(command, args, opts);
}
