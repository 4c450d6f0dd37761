import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { isBold, textWidth } from './text-width';

interface TextItem {
  fontSize?: number;
  fontWeight?: string | number;
  /** the width a label is cut to (with an ellipsis), 0 or unset for none */
  limit?: number;
}

/** vega's text measure, not in its type declarations: without a canvas it guesses 0.8 em a character. */
const { textMetrics } = vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } };

/*
 * Lay text out with the widths resvg will draw it at (the bundled font), so
 * label limits, legends and the fit to the image are measured, not guessed. A
 * label with a limit is at most that wide (vega cuts it): its width is capped
 * there, which is also what vega's cutting compares against.
 */
textMetrics.width = (item, text) => {
  const size = item.fontSize ?? 11;
  const width = size > 0 ? textWidth(text === null || text === undefined ? '' : String(text).trim(), size, isBold(item.fontWeight)) : 0;
  return item.limit !== undefined && item.limit > 0 ? Math.min(width, item.limit) : width;
};

/** Compiles a Vega-Lite spec and renders it to an SVG string, server-side (no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
