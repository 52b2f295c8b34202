import fs from 'node:fs';
import path from 'node:path';

/**
 * The absolute path of a program the scale tests start (redis-server, pgbouncer, initdb...), or an error that says
 * what to install: a missing binary fails its test loudly, it never skips it.
 */
export function requireBinary(name: string, debianPackage: string, extraDirs: string[] = []): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    `${name} is not installed (searched PATH${extraDirs.length ? ` and ${extraDirs.join(', ')}` : ''}): ` +
      `run scripts/setup.sh as root, which installs Debian's ${debianPackage}, or apt-get install ${debianPackage}`,
  );
}
