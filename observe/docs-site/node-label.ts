import { textWidth } from '../../chart/text-width';

/** The lineage graph's label font: the page names this family and size (assets.ts), the boxes are sized in it. */
export const LABEL_FONT_SIZE = 12;
/** The widest label: a longer name is shortened in the middle (its full name is the box's tooltip). */
export const MAX_LABEL_WIDTH = 320;
const ELLIPSIS = '…';

/** A label as drawn: its text and that text's width in pixels. */
export interface FittedLabel {
  text: string;
  width: number;
  /** the text is the name shortened in the middle */
  shortened: boolean;
}

const isControl = (character: string): boolean => {
  const code = character.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code < 0xa0);
};

const widthOf = (text: string): number => Math.ceil(textWidth(text, LABEL_FONT_SIZE));

/**
 * A relation's name as its box shows it, measured in the bundled font (DejaVu Sans,
 * which the page asks for and pins the drawn width to). A name wider than
 * MAX_LABEL_WIDTH keeps its start (the schema) and its end, with an ellipsis between.
 * Control characters are shown as U+FFFD. Time is linear in the name's length.
 */
export function fitLabel(name: string): FittedLabel {
  const characters = Array.from(name, (character) => (isControl(character) ? '\ufffd' : character));
  const whole = characters.join('');
  const width = widthOf(whole);
  if (width <= MAX_LABEL_WIDTH) return { text: whole, width, shortened: false };
  // keep the widest head and tail (head first, then tail, alternating) that fit around the ellipsis
  const widths = characters.map((character) => textWidth(character, LABEL_FONT_SIZE));
  let room = MAX_LABEL_WIDTH - widthOf(ELLIPSIS) - 1;
  let head = 0;
  let tail = characters.length;
  for (let turn = 0; head < tail; turn += 1) {
    const index = turn % 2 === 0 ? head : tail - 1;
    const needed = widths[index] ?? 0;
    if (needed > room) break;
    room -= needed;
    if (turn % 2 === 0) head += 1;
    else tail -= 1;
  }
  const text = characters.slice(0, head).join('') + ELLIPSIS + characters.slice(tail).join('');
  return { text, width: widthOf(text), shortened: true };
}
