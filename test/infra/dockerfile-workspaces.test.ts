import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const workspaces = ['packages', 'apps'].flatMap((dir) =>
  fs
    .readdirSync(path.join(ROOT, dir))
    .filter((name) => fs.existsSync(path.join(ROOT, dir, name, 'package.json')))
    .map((name) => `${dir}/${name}`),
);

// `npm ci` in an image links only the workspaces whose package.json it was given: a missing one leaves its
// @rag/* import unresolved at run time, which no test outside the image would notice.
for (const app of ['gateway', 'worker']) {
  test(`apps/${app}/Dockerfile gives npm ci every workspace's package.json`, () => {
    const docker = fs.readFileSync(path.join(ROOT, `apps/${app}/Dockerfile`), 'utf8');
    const missing = workspaces.filter((w) => !docker.includes(`COPY ${w}/package.json ${w}/`));
    assert.deepEqual(missing, []);
  });
}
