/**
 * Text clean-up shared by every format. Vietnamese is the case that decides the rules: text must be NFC (a
 * decomposed "ệ" is three code points and would not match a question typed with the composed one), and a
 * combining mark must never be separated from its letter by a space.
 */

// C0/C1 controls except tab and newline; zero-width and byte-order marks; soft hyphens.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/gu;
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/gu;
// Every kind of space (no-break, thin, ideographic ...) but newlines.
const SPACES = /[^\S\n]+/gu;
// Whitespace a PDF or a bad converter left between a letter and its combining diacritic.
const SPACE_BEFORE_MARK = /\s+(?=\p{M})/gu;

/** NFC, no controls or invisible characters, single spaces, trimmed lines, at most one blank line in a row. */
export function cleanText(text: string): string {
  return cleanPlainText(text)
    .replace(SPACES, ' ')
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .replace(/\n{3,}/gu, '\n\n')
    .trim();
}

/**
 * For Markdown and plain text, which keep their own layout (indented code, tables): only what the CLI has
 * always done (NFC, newlines) plus removing controls and zero-width characters.
 */
export function cleanPlainText(text: string): string {
  return text
    .replace(/\r\n?/gu, '\n')
    .replace(CONTROLS, '')
    .replace(INVISIBLE, '')
    .replace(SPACE_BEFORE_MARK, '')
    .normalize('NFC');
}

/** True when there is nothing but whitespace (after cleaning). */
export function isBlank(text: string): boolean {
  return !/[\p{L}\p{N}\p{S}\p{P}]/u.test(text);
}
