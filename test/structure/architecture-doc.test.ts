import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '@rag/testing';

// docs/architecture.md maps each concern to its files; it stays true only if the files it names exist and every
// workspace has its place in it.
const doc = fs.readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');

test('every path docs/architecture.md names exists', () => {
  const paths = [...doc.matchAll(/`((?:apps|packages|test|docs)\/[^`\s*]+)`/g)].map((m) => m[1]);
  assert.ok(paths.length > 30, `found ${paths.length} paths`);
  const missing = paths.filter((p) => !fs.existsSync(path.join(ROOT, p)));
  assert.deepEqual(missing, []);
});

test('every workspace appears in docs/architecture.md', () => {
  const workspaces = ['apps', 'packages'].flatMap((kind) =>
    fs
      .readdirSync(path.join(ROOT, kind))
      .filter((d) => fs.existsSync(path.join(ROOT, kind, d, 'package.json')))
      .map((d) => `${kind}/${d}`),
  );
  const absent = workspaces.filter((w) => !doc.includes(`${w}/`) && !doc.includes(`\`${w}\``));
  assert.deepEqual(absent, [], 'workspaces missing from the map');
});
