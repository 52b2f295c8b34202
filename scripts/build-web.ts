/**
 * Builds the page served at `/` and the API reference at `/docs` into apps/gateway/web/dist (gitignored):
 * TypeScript and CSS bundled and minified by esbuild under content-hashed names, the HTML rewritten to name
 * them, and Swagger UI's standalone bundle copied from node_modules (nothing is loaded from elsewhere).
 * Run by the set-up (scripts/setup.sh), so `npm run up` and `npm test` always serve a fresh build.
 */
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

const WEB = path.resolve(import.meta.dirname, '../apps/gateway/web');
const SRC = path.join(WEB, 'src');
const DIST = path.join(WEB, 'dist');
const ASSETS = path.join(DIST, 'assets');

const require = createRequire(import.meta.url);
const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const swaggerVersion = (
  JSON.parse(await readFile(path.join(swaggerDir, 'package.json'), 'utf8')) as { version: string }
).version;

await rm(DIST, { recursive: true, force: true });
await mkdir(ASSETS, { recursive: true });

const result = await build({
  entryPoints: { app: path.join(SRC, 'main.ts'), style: path.join(SRC, 'styles.css'), docs: path.join(SRC, 'docs.ts') },
  outdir: ASSETS,
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome120', 'firefox120', 'safari16'],
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

// Entry name -> emitted file name.
const emitted: Record<string, string> = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (!out.entryPoint) continue;
  const base = path.basename(file);
  emitted[base.slice(0, base.indexOf('-'))] = base;
}

// Swagger UI's own bundle and stylesheet, versioned in the name so they can be cached for a year.
const viewer = { js: `swagger-ui-${swaggerVersion}.js`, css: `swagger-ui-${swaggerVersion}.css` };
await copyFile(path.join(swaggerDir, 'swagger-ui-bundle.js'), path.join(ASSETS, viewer.js));
await copyFile(path.join(swaggerDir, 'swagger-ui.css'), path.join(ASSETS, viewer.css));

const fill = (html: string) =>
  html
    .replaceAll('{{app.js}}', `/assets/${emitted.app}`)
    .replaceAll('{{style.css}}', `/assets/${emitted.style}`)
    .replaceAll('{{docs.js}}', `/assets/${emitted.docs}`)
    .replaceAll('{{viewer.js}}', `/assets/${viewer.js}`)
    .replaceAll('{{viewer.css}}', `/assets/${viewer.css}`);
for (const page of ['index.html', 'docs.html']) {
  await writeFile(path.join(DIST, page), fill(await readFile(path.join(SRC, page), 'utf8')));
}

const size = async (f: string) => (await stat(path.join(ASSETS, f))).size;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
console.log(
  `web: built ${path.relative(process.cwd(), DIST)} (page ${kb((await size(emitted.app)) + (await size(emitted.style)))}, ` +
    `reference viewer ${kb((await size(viewer.js)) + (await size(viewer.css)))})`,
);
