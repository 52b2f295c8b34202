// Maps the k6 module names to the stand-ins and defines k6's globals, before the script is imported.
import { register } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

register(new URL('./hooks.mjs', import.meta.url));

globalThis.__ENV = { ...process.env };
globalThis.__VU = 1;
globalThis.__ITER = 0;
// k6's open() reads relative to the script's directory.
globalThis.open = (file) => fs.readFileSync(path.resolve(process.env.K6_SHIM_SCRIPT_DIR ?? '.', file), 'utf8');
