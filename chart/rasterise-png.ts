import { Resvg } from '@resvg/resvg-js';
import { bundledFontFiles, CHART_FONT_FAMILY } from './bundled-font';

/** How many PNG pixels per SVG pixel: 2 keeps the text sharp on high-density screens and in slides. */
export const PNG_SCALE = 2;

/** Rasterises an SVG to PNG bytes with resvg, using the bundled font only. */
export function rasterisePng(svg: string, scale = PNG_SCALE): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: {
      loadSystemFonts: false,
      fontFiles: bundledFontFiles(),
      defaultFontFamily: CHART_FONT_FAMILY,
      sansSerifFamily: CHART_FONT_FAMILY,
    },
    logLevel: 'off',
  });
  return resvg.render().asPng();
}
