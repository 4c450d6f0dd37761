import { Resvg } from '@resvg/resvg-js';
import { bundledFontFiles, CHART_FONT_FAMILY } from '../../chart/bundled-font';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Where the text of an SVG is drawn, as resvg lays it out with the bundled font
 * (glyph outlines, not an estimate): every element but text is hidden and the
 * bounding box of what is left is measured. Undefined when there is no text.
 */
export function textBounds(svg: string): Box | undefined {
  const onlyText = svg.replace(/(<svg[^>]*>)/, '$1<style>path, rect, line, image { display: none }</style>');
  const resvg = new Resvg(onlyText, {
    font: { loadSystemFonts: false, fontFiles: bundledFontFiles(), defaultFontFamily: CHART_FONT_FAMILY, sansSerifFamily: CHART_FONT_FAMILY },
    logLevel: 'off',
  });
  const box = resvg.getBBox();
  return box === undefined ? undefined : { x: box.x, y: box.y, width: box.width, height: box.height };
}
