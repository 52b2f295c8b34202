import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '@rag/testing';

const run = promisify(execFile);

/** A stand-in `node` of the given major version: answers the version probe, else says it ran. */
const fakeNode = (major: number) => `#!/bin/sh
case "$1" in
  -p) echo ${major} ;;
  -v) echo v${major}.0.0 ;;
  *) echo "node ${major} ran $*" ;;
esac
`;

/** scripts/node on a machine whose Node is 20 and which has no project copy of Node 22 yet. */
describe('scripts/node under an older system Node', () => {
  let dir: string;
  let bin: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rag-node-'));
    await fs.mkdir(path.join(dir, 'scripts'));
    for (const f of ['node', 'ensure-node.sh', 'lib.sh'])
      await fs.copyFile(path.join(ROOT, 'scripts', f), path.join(dir, 'scripts', f));
    bin = path.join(dir, 'bin');
    await fs.mkdir(bin);
    await fs.writeFile(path.join(bin, 'node'), fakeNode(20), { mode: 0o755 });
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  const launch = (npm: string) =>
    fs.writeFile(path.join(bin, 'npm'), npm, { mode: 0o755 }).then(() =>
      run('bash', [path.join(dir, 'scripts/node'), 'apps/x/main.ts'], {
        cwd: dir,
        env: { PATH: `${bin}:/usr/bin:/bin` },
      }).then(
        (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
      ),
    );

  test('when Node 22 cannot be fetched: exit 1, one line saying what to run, no stack trace', async () => {
    const r = await launch('#!/bin/sh\nexit 1\n');
    assert.equal(r.code, 1, r.err);
    assert.doesNotMatch(r.out + r.err, /node 20 ran|SyntaxError|^\s+at /m);
    const last = r.err.trim().split('\n').at(-1) ?? '';
    assert.match(last, /^scripts\/node: could not set up Node 22; run 'bash scripts\/setup\.sh'/);
  });

  test('when it can: runs the set-up, then the entry point with Node 22', async () => {
    // A stand-in for `npm pack node-linux-<arch>@22`: a tarball whose package/bin/node is Node 22.
    const pkg = path.join(dir, 'pkg');
    await fs.mkdir(path.join(pkg, 'package', 'bin'), { recursive: true });
    await fs.writeFile(path.join(pkg, 'package', 'bin', 'node'), fakeNode(22), { mode: 0o755 });
    await run('tar', ['-czf', path.join(dir, 'node-pkg.tgz'), '-C', pkg, 'package']);
    const r = await launch(`#!/bin/sh\ncp ${path.join(dir, 'node-pkg.tgz')} "$PWD/\${3%@*}-22.0.0.tgz"\n`);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), 'node 22 ran apps/x/main.ts');
    assert.ok((await fs.stat(path.join(dir, '.tools/node/bin/node'))).isFile());
  });
});
