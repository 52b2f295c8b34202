import fs from 'node:fs/promises';
import path from 'node:path';

/** What the CLI picks up inside directories (the format itself is judged by content when extracting). */
const INGESTIBLE_EXTENSIONS = ['.md', '.markdown', '.txt', '.pdf', '.docx', '.html', '.htm'];

export interface SourceFile {
  /** Absolute path on disk. */
  absPath: string;
  /** The document id: the path relative to the directory given (POSIX separators), or the file name for a file. */
  documentId: string;
}

/**
 * Expands files and directories into the files to ingest, sorted by id. Inside directories, README.md files are
 * skipped (they describe the folder, they are not corpus documents); a README given by name is ingested.
 */
export async function collectFiles(inputs: string[]): Promise<SourceFile[]> {
  const out = new Map<string, SourceFile>();
  for (const input of inputs) {
    const abs = path.resolve(input);
    let stat: Awaited<ReturnType<typeof fs.stat>>;
    try {
      stat = await fs.stat(abs);
    } catch {
      throw new Error(`no such file or directory: ${input}`);
    }
    if (stat.isFile()) {
      out.set(path.basename(abs), { absPath: abs, documentId: path.basename(abs) });
      continue;
    }
    const entries = await fs.readdir(abs, { recursive: true, withFileTypes: true });
    for (const e of entries) {
      if (!e.isFile()) continue;
      if (!INGESTIBLE_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) continue;
      if (e.name.toLowerCase() === 'readme.md') continue;
      const file = path.join(e.parentPath, e.name);
      const id = path.relative(abs, file).split(path.sep).join('/');
      out.set(id, { absPath: file, documentId: id });
    }
  }
  return [...out.values()].sort((a, b) => a.documentId.localeCompare(b.documentId));
}

/** The first Markdown heading, else the file name without its extension. */
export function titleOf(text: string, fileName: string): string {
  const m = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/mu.exec(text);
  return m ? m[1].trim() : path.basename(fileName, path.extname(fileName));
}
