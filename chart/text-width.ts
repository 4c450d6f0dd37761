import { readFileSync } from 'node:fs';
import { bundledFontFiles } from './bundled-font';

/**
 * Text widths in the bundled font (DejaVu Sans, regular and bold), read from
 * the TrueType file's own advance widths: what resvg draws, not an estimate.
 * Kerning is left out (it narrows a line by a pixel or two at most).
 */
interface FontMetrics {
  unitsPerEm: number;
  /** advance width of each glyph, in font units */
  advances: Uint16Array;
  /** code point -> glyph (format 4 subtable: the Basic Multilingual Plane) */
  glyphOf: (codePoint: number) => number;
}

function tables(font: Buffer): Map<string, number> {
  const offsets = new Map<string, number>();
  const count = font.readUInt16BE(4);
  for (let index = 0; index < count; index += 1) {
    const at = 12 + index * 16;
    offsets.set(font.toString('latin1', at, at + 4), font.readUInt32BE(at + 8));
  }
  return offsets;
}

function readMetrics(path: string): FontMetrics {
  const font = readFileSync(path);
  const at = tables(font);
  const head = at.get('head');
  const hhea = at.get('hhea');
  const hmtx = at.get('hmtx');
  const maxp = at.get('maxp');
  const cmap = at.get('cmap');
  if (head === undefined || hhea === undefined || hmtx === undefined || maxp === undefined || cmap === undefined) {
    throw new Error(`${path}: not a TrueType font with horizontal metrics`);
  }
  const glyphCount = font.readUInt16BE(maxp + 4);
  const metricCount = font.readUInt16BE(hhea + 34);
  const advances = new Uint16Array(glyphCount);
  for (let glyph = 0; glyph < glyphCount; glyph += 1) advances[glyph] = font.readUInt16BE(hmtx + 4 * Math.min(glyph, metricCount - 1));

  // the Windows Unicode BMP subtable (platform 3, encoding 1), format 4
  let subtable = -1;
  for (let index = 0; index < font.readUInt16BE(cmap + 2); index += 1) {
    const record = cmap + 4 + index * 8;
    if (font.readUInt16BE(record) === 3 && font.readUInt16BE(record + 2) === 1) subtable = cmap + font.readUInt32BE(record + 4);
  }
  if (subtable < 0 || font.readUInt16BE(subtable) !== 4) throw new Error(`${path}: no Unicode (format 4) character map`);
  const segments = font.readUInt16BE(subtable + 6) / 2;
  const ends = subtable + 14;
  const starts = ends + 2 * segments + 2;
  const deltas = starts + 2 * segments;
  const rangeOffsets = deltas + 2 * segments;
  const glyphOf = (codePoint: number): number => {
    if (codePoint > 0xffff) return 0;
    for (let segment = 0; segment < segments; segment += 1) {
      if (codePoint > font.readUInt16BE(ends + 2 * segment)) continue;
      const start = font.readUInt16BE(starts + 2 * segment);
      if (codePoint < start) return 0;
      const delta = font.readInt16BE(deltas + 2 * segment);
      const rangeOffset = font.readUInt16BE(rangeOffsets + 2 * segment);
      if (rangeOffset === 0) return (codePoint + delta) & 0xffff;
      const glyph = font.readUInt16BE(rangeOffsets + 2 * segment + rangeOffset + 2 * (codePoint - start));
      return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
    }
    return 0;
  };
  return { unitsPerEm: font.readUInt16BE(head + 18), advances, glyphOf };
}

let faces: { regular: FontMetrics; bold: FontMetrics } | undefined;

function face(bold: boolean): FontMetrics {
  if (faces === undefined) {
    const [regular, boldFile] = bundledFontFiles();
    faces = { regular: readMetrics(regular!), bold: readMetrics(boldFile!) };
  }
  return bold ? faces.bold : faces.regular;
}

/** A CSS font weight that resvg draws with the bold face. */
export function isBold(weight: string | number | undefined): boolean {
  return weight === 'bold' || weight === 'bolder' || (Number(weight) >= 600 && Number.isFinite(Number(weight)));
}

/** The width in pixels of `text` set in the bundled font at `fontSize` px (a character the font lacks counts as its missing-glyph box). */
export function textWidth(text: string, fontSize: number, bold = false): number {
  const metrics = face(bold);
  let units = 0;
  for (const character of text) units += metrics.advances[metrics.glyphOf(character.codePointAt(0) ?? 0)] ?? 0;
  return (units * fontSize) / metrics.unitsPerEm;
}
