/**
 * Rebuilds paragraphs from a PDF page's positioned text pieces. A PDF has no paragraphs, only pieces of text at
 * coordinates: a word processor's line wrap becomes separate lines, a hyphenated word two pieces, and some
 * producers place every glyph on its own. Pieces are kept in content-stream order (the producer's reading
 * order: columns stay whole, unlike a sort by position) and grouped into lines by baseline, lines into
 * paragraphs by spacing, size and indentation.
 */

export interface TextPiece {
  str: string;
  /** Baseline origin in PDF space (y grows upwards). */
  x: number;
  y: number;
  width: number;
  fontSize: number;
}

interface Line {
  text: string;
  x0: number;
  x1: number;
  y: number;
  size: number;
}

// A new line starts when the baseline moves by more than this fraction of the font size.
const BASELINE_TOLERANCE = 0.45;
// A gap wider than this fraction of the font size between two pieces is a space (narrower: same word).
const SPACE_GAP = 0.15;
// Starts of lines that open a new item even without extra spacing: numbered points, bullets, articles.
const ITEM_START = /^(\d{1,3}[.)]\s|[a-zđ]\)\s|[-–•*+]\s|(Điều|Chương|Mục|Article|Section|Chapter)\s+[\dIVXLC]+)/u;

function toLines(pieces: TextPiece[]): Line[] {
  const lines: Line[] = [];
  let cur: Line | undefined;
  for (const p of pieces) {
    if (!p.str) continue;
    const size = Math.abs(p.fontSize) || 1;
    const sameLine =
      cur && Math.abs(p.y - cur.y) <= BASELINE_TOLERANCE * Math.max(size, cur.size) && p.x >= cur.x1 - size; // not jumping back to the left margin
    if (!cur || !sameLine) {
      cur = { text: p.str, x0: p.x, x1: p.x + p.width, y: p.y, size };
      lines.push(cur);
      continue;
    }
    const gap = p.x - cur.x1;
    const needsSpace = gap > SPACE_GAP * size && !/\s$/u.test(cur.text) && !/^\s/u.test(p.str);
    cur.text += (needsSpace ? ' ' : '') + p.str;
    cur.x1 = Math.max(cur.x1, p.x + p.width);
    cur.size = Math.max(cur.size, size);
  }
  for (const l of lines) l.text = l.text.replace(/\s+/gu, ' ').trim();
  return lines.filter((l) => l.text);
}

function median(values: number[]): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Joins the lines of one paragraph: a word hyphenated at a line end is rejoined, other lines get a space. */
export function joinLines(lines: string[]): string {
  let out = '';
  for (const line of lines) {
    if (!out) out = line;
    else if (/\p{Ll}-$/u.test(out) && /^\p{Ll}/u.test(line))
      out = out.slice(0, -1) + line; // "procure-" + "ment"
    else if (/[\p{L}\p{N}]-$/u.test(out) && /^[\p{Lu}\p{N}]/u.test(line))
      out += line; // "QĐ-" + "UBND"
    else out += ` ${line}`;
  }
  return out;
}

/**
 * The previous line stopped short of the right edge although the next line's first word would have fitted
 * there: the writer ended the paragraph (or it was a heading). A long unbreakable token (an amount, a URL)
 * pushed to the next line is not a paragraph end.
 */
function endsShort(prev: Line, line: Line, right: number): boolean {
  if (/-$/u.test(prev.text)) return false;
  const charWidth = (line.x1 - line.x0) / Math.max(1, line.text.length);
  const firstWord = (line.text.split(' ')[0].length + 1) * charWidth;
  const room = right - prev.x1;
  return room > 1.5 * prev.size && room > firstWord;
}

/** Paragraphs of one page, in reading order, separated by a blank line. */
export function layoutPage(pieces: TextPiece[]): string {
  const lines = toLines(pieces);
  if (!lines.length) return '';
  // Typical distance between consecutive baselines of body text, and the right edge of full lines.
  const spacing = median(
    lines
      .slice(1)
      .map((l, i) => ({ d: lines[i].y - l.y, size: lines[i].size }))
      .filter((g) => g.d > 0 && g.d < 3 * g.size)
      .map((g) => g.d),
  );
  const right = Math.max(...lines.map((l) => l.x1));
  const paragraphs: string[][] = [[lines[0].text]];
  for (let i = 1; i < lines.length; i++) {
    const prev = lines[i - 1];
    const line = lines[i];
    const gap = prev.y - line.y;
    const breakHere =
      gap <= 0 || // moved up: a new column or a block placed out of order
      (spacing > 0 && gap > 1.3 * spacing) ||
      Math.abs(line.size - prev.size) > 0.1 * prev.size ||
      endsShort(prev, line, right) ||
      ITEM_START.test(line.text);
    if (breakHere) paragraphs.push([line.text]);
    else paragraphs[paragraphs.length - 1].push(line.text);
  }
  return paragraphs.map(joinLines).join('\n\n');
}
