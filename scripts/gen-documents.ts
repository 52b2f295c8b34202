/**
 * Writes the PDF and DOCX files of the sample corpus (content in packages/testing/src/documents/sample-documents.ts). Needs DejaVu Sans
 * (Debian's fonts-dejavu-core) for the Vietnamese glyphs.
 * Usage: scripts/node scripts/gen-documents.ts [outDir=data/sample]
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildSampleDocuments, DEJAVU_SANS } from '@rag/testing/documents';

const outDir = path.resolve(process.argv[2] ?? 'data/sample');
if (!fs.existsSync(DEJAVU_SANS)) throw new Error(`${DEJAVU_SANS} is missing: apt-get install fonts-dejavu-core`);
for (const [rel, bytes] of await buildSampleDocuments()) {
  const file = path.join(outDir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
  console.log(`${rel}: ${bytes.length} bytes`);
}
