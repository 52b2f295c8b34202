// Maps the k6 module names to the stand-ins and defines k6's globals, before the script is imported.
import { register } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

register(new URL('./hooks.mjs', import.meta.url));

globalThis.__ENV = { ...process.env };
globalThis.__VU = 1;
globalThis.__ITER = 0;
// Like k6's open(): a relative path is resolved against the directory of the file that calls open() (a helper in
// lib/ opens '../data/x.json'), not the script that was run nor the working directory.
globalThis.open = (file) => fs.readFileSync(path.resolve(path.dirname(callerFile()), file), 'utf8');

/** The file of the nearest stack frame outside this one (V8 call sites, not a parsed stack string). */
function callerFile() {
  const prepare = Error.prepareStackTrace;
  Error.prepareStackTrace = (_err, sites) => sites;
  try {
    const sites = new Error().stack;
    const self = import.meta.url;
    for (const site of sites) {
      const name = site.getFileName();
      if (name && name !== self && !name.startsWith('node:'))
        return name.startsWith('file:') ? fileURLToPath(name) : name;
    }
  } finally {
    Error.prepareStackTrace = prepare;
  }
  throw new Error('k6 shim: open() could not tell which file called it');
}
