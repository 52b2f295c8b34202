import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '@rag/testing';

// Dependencies point one way: apps build on packages, packages never on apps (nor on the tests beside them), and
// each workspace declares the workspaces it imports, so the graph in package.json is the graph in the code.

interface Workspace {
  dir: string;
  name: string;
  kind: 'apps' | 'packages';
  exports: string[];
  dependencies: Set<string>;
  devDependencies: Set<string>;
}

const workspaces: Workspace[] = ['apps', 'packages'].flatMap((kind) =>
  fs
    .readdirSync(path.join(ROOT, kind))
    .filter((d) => fs.existsSync(path.join(ROOT, kind, d, 'package.json')))
    .map((d) => {
      const dir = path.join(ROOT, kind, d);
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      const exports = pkg.exports ? Object.values(pkg.exports as Record<string, string>) : [];
      return {
        dir,
        name: pkg.name as string,
        kind: kind as Workspace['kind'],
        exports,
        dependencies: new Set(Object.keys(pkg.dependencies ?? {})),
        devDependencies: new Set(Object.keys(pkg.devDependencies ?? {})),
      };
    }),
);
const byName = new Map(workspaces.map((w) => [w.name, w]));

const walk = (dir: string): string[] =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.name !== 'node_modules')
        .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]))
        .filter((f) => /\.(ts|mts|js|mjs)$/.test(f))
    : [];

/** Every module specifier a file imports or re-exports (static and dynamic). */
function specifiers(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)) out.push(m[1]);
  return out;
}

const workspaceOf = (spec: string) => /^(@rag\/[^/]+)/.exec(spec)?.[1];

describe('workspace layering', () => {
  test('every workspace is found, with a name', () => {
    assert.ok(workspaces.length >= 10, `found ${workspaces.length} workspaces`);
    for (const w of workspaces) assert.match(w.name, /^@rag\/[a-z0-9-]+$/, w.dir);
  });

  test('packages never import apps, by name or by path', () => {
    const apps = new Set(workspaces.filter((w) => w.kind === 'apps').map((w) => w.name));
    const upward: string[] = [];
    for (const w of workspaces.filter((x) => x.kind === 'packages')) {
      for (const file of walk(w.dir)) {
        for (const spec of specifiers(file)) {
          const target = spec.startsWith('.') ? path.resolve(path.dirname(file), spec) : undefined;
          const escapes = target !== undefined && !target.startsWith(path.join(ROOT, 'packages') + path.sep);
          const app = workspaceOf(spec);
          if (escapes || (app && apps.has(app))) upward.push(`${path.relative(ROOT, file)} imports ${spec}`);
        }
      }
    }
    assert.deepEqual(upward, [], 'a package depends on an app or on the tests');
  });

  test('every workspace declares the workspaces it imports', () => {
    const undeclared: string[] = [];
    for (const w of workspaces) {
      for (const file of walk(w.dir)) {
        const inTests = path.relative(w.dir, file).split(path.sep)[0] === 'test';
        for (const spec of specifiers(file)) {
          const dep = workspaceOf(spec);
          if (!dep || dep === w.name) continue;
          assert.ok(byName.has(dep), `${path.relative(ROOT, file)} imports ${dep}, which is no workspace`);
          const declared = w.dependencies.has(dep) || (inTests && w.devDependencies.has(dep));
          if (!declared) undeclared.push(`${w.name}: ${dep} (${path.relative(ROOT, file)})`);
        }
      }
    }
    assert.deepEqual(undeclared, [], 'imported but not in package.json');
  });

  test('package.json exports name files that exist', () => {
    const missing = workspaces.flatMap((w) =>
      w.exports.filter((e) => !fs.existsSync(path.join(w.dir, e))).map((e) => `${w.name}: ${e}`),
    );
    assert.deepEqual(missing, []);
  });

  test('runtime dependencies between workspaces have no cycle', () => {
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, trail: string[]) => {
      if (state.get(name) === 'done') return;
      assert.notEqual(state.get(name), 'visiting', `cycle: ${[...trail, name].join(' -> ')}`);
      state.set(name, 'visiting');
      for (const dep of byName.get(name)?.dependencies ?? []) visit(dep, [...trail, name]);
      state.set(name, 'done');
    };
    for (const w of workspaces) visit(w.name, []);
  });
});
