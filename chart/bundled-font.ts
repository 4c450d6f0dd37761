import { dirname, join } from 'node:path';

/**
 * The font of the chart's text, shipped in the dejavu-fonts-ttf package: the
 * rasteriser loads only these files, never the system's fonts (a CI machine may
 * have none), so the PNG looks the same everywhere.
 */
export const CHART_FONT_FAMILY = 'DejaVu Sans';

/** The regular and bold faces (titles are bold). */
export function bundledFontFiles(): string[] {
  const ttf = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  return [join(ttf, 'DejaVuSans.ttf'), join(ttf, 'DejaVuSans-Bold.ttf')];
}
