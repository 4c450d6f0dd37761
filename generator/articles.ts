/**
 * The demo lake's articles: their attributes as JSON text in the sample's style (loose
 * spacing, members in the sample's order), drawn from a small catalogue of categories,
 * sources and headlines in several languages, plus the "evergreen" articles whose titles
 * hold every escape the loader must keep byte for byte. Each article is a pure function
 * of (seed, key): the same article on every day it is shown.
 */
import { createHash } from 'node:crypto';
import { int, mulberry32, pick } from './seeded-random';

export const MIN_MS = 60_000;

const md5 = (s: string): Buffer => createHash('md5').update(s).digest();
export const md5hex = (s: string): string => createHash('md5').update(s).digest('hex');

// ---------------------------------------------------------------- JSON text, sample style

export const q = (s: string): string => JSON.stringify(s);
/** JSON string with every non-ASCII character as a \uXXXX escape (emoji as a surrogate pair) */
const qAscii = (s: string): string => q(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
/** `    "k": v,    "k2": v2` (values are JSON text; undefined values are left out) */
export const members = (pairs: ReadonlyArray<readonly [string, string | undefined]>): string =>
  pairs
    .filter((p): p is readonly [string, string] => p[1] !== undefined)
    .map(([k, v]) => `    "${k}": ${v}`)
    .join(',');
const jsonArray = (items: readonly string[]): string => (items.length === 0 ? '[]' : `[${items.map((i) => `      ${q(i)}`).join(',')}    ]`);

// ---------------------------------------------------------------- content

const CATEGORIES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['politics', ['politics.home_affairs', 'politics.foreign_affairs']],
  ['sports', ['sports.football', 'sports.wintersports']],
  ['news', ['news.local', 'news.crime']],
  ['music', ['music.miscellaneous', 'music.charts']],
  ['digital_life', ['digital_life.games', 'digital_life.apps', 'digital_life.mobile_tablet']],
  ['fashion_beauty_lifestyle', ['fashion_beauty_lifestyle.health', 'fashion_beauty_lifestyle.food_drink']],
  ['people_shows', ['people_shows.tv', 'people_shows.vips']],
  ['money_business', ['money_business.finance', 'money_business.economy']],
  ['technology_science', ['technology_science.medicine', 'technology_science.space']],
  ['cars_motors', ['cars_motors.e_mobility', 'cars_motors.formula_1']],
];
const SOURCES: ReadonlyArray<readonly [string, string]> = [
  ['gamestar.de', 'GameStar'],
  ['merkur.de', 'Merkur.de'],
  ['vice.com', 'VICE'],
  ['mirror.co.uk', 'Mirror'],
  ['leparisien.fr', 'Le Parisien'],
  ['caminteresse.fr', "Ça m'intéresse"],
  ['quemedices.es', '¡Qué me dices!'],
  ['natemat.pl', 'naTemat'],
  ['n-tv.de', 'n-tv'],
  ['nytimes.com', 'The New York Times '],
  ['huffingtonpost.co.uk', 'HuffPost UK'],
  ['auto-motor-und-sport.de', 'auto motor und sport'],
];
// titles: subject + verb + object, in the sample's mix of languages (raw UTF-8 included)
const SUBJECTS = [
  'Trump',
  'Theresa May',
  'Bayern München',
  'Le PSG',
  'Real Madrid',
  'Apple',
  'Tesla',
  'Der DAX',
  'Die Bundesregierung',
  'Macron',
  'Netflix',
  'Lewandowski',
  'Die Polizei in Zürich',
  'Kraków',
];
const VERBS = ['wins', 'loses', 'announces', 'rejects', 'verliert gegen', 'überrascht mit', 'kündigt an:', 'annonce', 'bat', 'gana', 'zapowiada'];
const OBJECTS = [
  'the Brexit deal',
  'den Notstand',
  'un record historique',
  'einen Straßenbahn-Streik',
  'la réforme des retraites',
  'die Formel-1-Saison 2019',
  'das neue iPhone',
  'eine Oscar-Nominierung',
  'sondaż dla opozycji',
  'la canción del verano',
  'die Champions League',
  'les gilets jaunes',
  'a new Mars mission',
];
const NOTE_TYPES = [
  'TRENDING_SOCIAL',
  'SPECIFIC_TRENDING',
  'SERENDIPITY',
  'TRENDING_NEWS',
  'REAL_LIFE',
  'GENERAL_NEWS',
  'GOOD_TO_KNOW',
  'SPECIFIC_NEWS',
  'WTF',
  'GENERAL_TRENDING',
];
export const BROWSERS = ['Chrome', 'Custom Chrome Tabs', 'Samsung Internet', 'WebView'];
/** Shown every day, so every file holds every escape the loader must keep unchanged. */
export const EVERGREEN: ReadonlyArray<{ title: string; category: string; asciiOnly?: true }> = [
  { title: '"Gilets jaunes" : vers la fin des manifestations le samedi ?', category: 'news' },
  { title: 'Windows-Tipp: C:\\Windows\\Temp sicher leeren', category: 'digital_life' },
  { title: 'Eilmeldung:\nzweizeiliger Titel aus dem CMS', category: 'politics' },
  { title: 'Café, crème brûlée et 😀 : Paris à table', category: 'fashion_beauty_lifestyle', asciiOnly: true },
  { title: 'Weißes Haus: Trump wird Notstand ausrufen – Mauerbau geht weiter', category: 'politics' },
  { title: '中文新闻: 今日头条 und das Jahr des Schweins', category: 'people_shows' },
  { title: 'Das 😀 Emoji wird 20 🎉', category: 'technology_science' },
  { title: 'Tab\tim Titel: Bayern schlägt Schalke', category: 'sports' },
];

export interface Article {
  category: string;
  feed: 'top' | 'my';
  /** display attributes before and after "position" */
  displayHead: string;
  displayTail: string;
  /** click attributes between "browser" and "stream", and after "stream" */
  viewHead: string;
  viewTail: string;
}

export function makeArticle(seed: number, key: string, publishMs: number, evergreen?: (typeof EVERGREEN)[number]): Article {
  const digest = md5(`${seed}:${key}`);
  const r = mulberry32(digest.readUInt32LE(0));
  const feed = r() < 0.35 ? 'top' : 'my';
  const hex = digest.toString('hex');
  const id =
    feed === 'top'
      ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[digest[8]! & 3]}${hex.slice(17, 20)}-${hex.slice(20)}`
      : digest.toString('base64url');
  const cat = evergreen ? CATEGORIES.find(([c]) => c === evergreen.category) : pick(r, CATEGORIES);
  const [category, allSubs] = cat ?? CATEGORIES[0]!;
  const subs = feed === 'top' ? [] : allSubs.filter(() => r() < 0.6);
  let title = evergreen?.title;
  if (title === undefined) {
    title = `${pick(r, SUBJECTS)} ${pick(r, VERBS)} ${pick(r, OBJECTS)}${r() < 0.2 ? ' ?' : ''}`;
    if (r() < 0.05) title = `"${title}"`;
  }
  const titleJson = evergreen?.asciiOnly ? qAscii(title) : q(title);
  const [domain, sourceName] = pick(r, SOURCES);
  const slug = md5hex(key).slice(0, 10);
  const publishTime = r() < 0.9 ? q(new Date(publishMs - int(r, 0, 720) * MIN_MS).toISOString().slice(0, 19) + 'Z') : undefined;
  const noteType = feed === 'my' ? q(pick(r, NOTE_TYPES)) : undefined;
  const common = {
    id: q(id),
    domain: r() < 0.95 ? q(domain) : undefined,
    name: q(sourceName),
    url: q(`https://${domain}/amp/${slug}.html?utm_source=upday&x=1`),
  };
  const subsJson = feed === 'top' || subs.length > 0 || r() < 0.5 ? jsonArray(subs) : undefined;
  const stream = feed === 'top' ? (r() < 0.05 ? '"breaking"' : '"ntk"') : '"wtk"';
  // a few articles are clicked under another headline than the card showed
  const viewTitle = r() < 0.03 ? q(`${title} (aktualisiert)`) : titleJson;
  return {
    category,
    feed,
    displayHead: members([
      ['category', q(category)],
      ['id', common.id],
      ['noteType', noteType],
      ['orientation', '"PORTRAIT"'],
    ]),
    displayTail: members([
      ['publishTime', publishTime],
      ['sourceDomain', common.domain],
      ['sourceName', common.name],
      ['stream', stream],
      ['streamType', feed === 'my' ? '"my news"' : undefined],
      ['subcategories', subsJson],
      ['title', titleJson],
      ['url', common.url],
    ]),
    viewHead: members([
      ['category', q(category)],
      ['id', common.id],
      ['network', '"online"'],
      ['noteType', noteType],
      ['publishTime', publishTime],
      ['sourceDomain', common.domain],
      ['sourceName', common.name],
    ]),
    viewTail: members([
      ['subcategories', subsJson],
      ['title', viewTitle],
      ['url', common.url],
    ]),
  };
}
