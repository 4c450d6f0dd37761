import { dayAxisLabels, dayLabel, DAY_LABEL_FONT_SIZE } from '../../chart/day-axis-labels';
import { calendarDays } from '../../chart/daily-series';
import { textWidth } from '../../chart/text-width';
import { dayAfter } from './mart-rows';

test('dayLabel writes "Feb 5"', () => {
  expect(dayLabel('2019-02-05')).toBe('Feb 5');
  expect(dayLabel('2020-12-31')).toBe('Dec 31');
});

test('for every span from 1 to 366 days and widths from 300 to 900 px: the first and last day are labelled, no two labels touch', () => {
  for (const width of [300, 600, 900]) {
    for (let span = 1; span <= 366; span += span < 40 ? 1 : 17) {
      const days = calendarDays('2019-02-14', dayAfter('2019-02-14', span - 1));
      const labelled = dayAxisLabels(days, width);
      expect(labelled[0]).toBe(days[0]);
      if (span > 1) expect(labelled[labelled.length - 1]).toBe(days[days.length - 1]);
      const band = width / days.length;
      const centre = (day: string) => (days.indexOf(day) + 0.5) * band;
      for (let at = 1; at < labelled.length; at += 1) {
        const [a, b] = [labelled[at - 1]!, labelled[at]!];
        const room = (textWidth(dayLabel(a), DAY_LABEL_FONT_SIZE) + textWidth(dayLabel(b), DAY_LABEL_FONT_SIZE)) / 2;
        expect(centre(b) - centre(a)).toBeGreaterThanOrEqual(room);
      }
    }
  }
});

test('3 days: every day labelled; 30 days: every other day or so; a year: month starts', () => {
  const days = (span: number) => calendarDays('2019-02-14', dayAfter('2019-02-14', span - 1));
  expect(dayAxisLabels(days(3), 880)).toEqual(days(3));
  expect(dayAxisLabels(days(30), 880).length).toBeGreaterThanOrEqual(10);
  const year = dayAxisLabels(days(365), 880);
  expect(year.slice(1, -1).every((day) => day.endsWith('-01'))).toBe(true);
  expect(year.length).toBeGreaterThanOrEqual(8);
});
