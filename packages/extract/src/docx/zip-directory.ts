import zlib from 'node:zlib';
import { ExtractError } from '../errors.ts';

/**
 * Reads a ZIP's central directory (names, sizes, offsets) without inflating anything, so a DOCX can be judged
 * by what it claims before any memory is spent on it; `inflateEntry` then holds each entry to its claim.
 */
interface ZipEntryInfo {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_ENTRIES = 20_000;

export const isZip = (b: Uint8Array) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5);

const corrupt = (why: string) => new ExtractError('corrupt', `The Word file is damaged (${why}).`);

export function readZipDirectory(bytes: Uint8Array): ZipEntryInfo[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record is within the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw corrupt('no ZIP directory; the file may be truncated');
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  // ZIP64 markers: no Word document needs more than 65535 parts or 4 GiB.
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
    throw new ExtractError('too_large', 'The Word file is too large (ZIP64 archive).');
  }
  if (count > MAX_ENTRIES) throw new ExtractError('too_large', `The Word file has too many parts (${count}).`);
  if (cdOffset + cdSize > eocd) throw corrupt('ZIP directory out of bounds');
  const entries: ZipEntryInfo[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== CENTRAL) throw corrupt('bad ZIP directory entry');
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const entry: ZipEntryInfo = {
      name: buf.toString('utf8', at + 46, at + 46 + nameLength),
      method: buf.readUInt16LE(at + 10),
      compressedSize: buf.readUInt32LE(at + 20),
      uncompressedSize: buf.readUInt32LE(at + 24),
      localHeaderOffset: buf.readUInt32LE(at + 42),
    };
    if (entry.uncompressedSize === 0xffffffff || entry.compressedSize === 0xffffffff) {
      throw new ExtractError('too_large', 'The Word file is too large (ZIP64 entry).');
    }
    entries.push(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * Inflates one entry, stopping with `too_large` as soon as the output passes `maxBytes` (zlib's
 * maxOutputLength), whatever the directory claimed: a lying size field cannot make this allocate more.
 */
export function inflateEntry(bytes: Uint8Array, entry: ZipEntryInfo, maxBytes: number): Buffer {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localHeaderOffset;
  if (at + 30 > buf.length || buf.readUInt32LE(at) !== LOCAL) throw corrupt(`bad local header for ${entry.name}`);
  const start = at + 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28);
  const end = start + entry.compressedSize;
  if (end > buf.length) throw corrupt(`${entry.name} is cut short`);
  const data = buf.subarray(start, end);
  if (entry.method === 0) {
    if (data.length > maxBytes) throw tooLarge(maxBytes);
    return data;
  }
  if (entry.method !== 8) throw corrupt(`unsupported compression method ${entry.method}`);
  try {
    return zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw tooLarge(maxBytes);
    }
    throw corrupt(`${entry.name} does not inflate`);
  }
}

export const tooLarge = (maxBytes: number) =>
  new ExtractError(
    'too_large',
    `The Word file's text inflates beyond the ${Math.round(maxBytes / 1024 / 1024)} MiB limit (a ZIP bomb or an unusually large document).`,
  );
