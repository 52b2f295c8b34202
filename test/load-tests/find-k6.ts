import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The real k6 to run the load scripts with: `K6_BIN` when set (it must then work: a wrong path fails loudly rather
 * than falling back to the stand-in), else `k6` on PATH, else undefined (the suite uses load-tests/test-shim).
 */
export function findK6(env: NodeJS.ProcessEnv = process.env): { bin: string; version: string } | undefined {
  const explicit = env.K6_BIN?.trim();
  const bin = explicit ? path.resolve(explicit) : onPath('k6', env.PATH ?? '');
  if (!bin) return undefined;
  try {
    const version = execFileSync(bin, ['version'], { encoding: 'utf8', timeout: 20_000 }).trim().split('\n')[0];
    return { bin, version };
  } catch (err) {
    throw new Error(`K6_BIN / k6 on PATH (${bin}) does not run: ${(err as Error).message}`);
  }
}

function onPath(name: string, pathVar: string): string | undefined {
  for (const dir of pathVar.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
