// Address lookup against the city's gazetteer (地名录: districts, zones, streets, landmarks), so that
// "西安市雁塔区小寨东路126号" becomes a point to search around and the page can say "near 小寨东路".
// Pure: the file is read elsewhere. Matching, in order:
//   1. the whole (normalised) input is a place's name or alias, or a tolerated variant of it
//      (a street with another of 路/街/大街/大道/巷 or none; a district without 区/县), also with a
//      leading 陕西省/西安市 removed;
//   2. otherwise the best place name or alias (or 路/街 swap) contained in the input: any zone, street
//      or landmark beats a district, then the longer name, then the more specific kind.
// Normalising: Unicode NFKC (full-width letters, digits and spaces become half-width), lower case
// (English aliases match in any case), spaces and punctuation removed.
import { Gazetteer as GazetteerFormat, type GazetteerPlace, type PLACE_KINDS } from '@xinbao/protocol';
import type { z } from 'zod';

export type { GazetteerPlace } from '@xinbao/protocol';
export type PlaceKind = (typeof PLACE_KINDS)[number];

/** The shipped file's format (protocol/src/gazetteer.ts), with place ids unique. */
export const GazetteerFile = GazetteerFormat.superRefine((f, ctx) => {
  const seen = new Set<string>();
  f.places.forEach((p, i) => {
    if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['places', i, 'id'], message: `duplicate place id ${p.id}` });
    seen.add(p.id);
  });
});
export type GazetteerFile = z.infer<typeof GazetteerFile>;

/** Prefixes an address may start with that name no place (the whole gazetteer is in this city). */
const CITY_PREFIXES = ['陕西省', '西安市'];
const STREET_SUFFIXES = ['大街', '大道', '路', '街', '巷'];
const AREA_SUFFIXES = ['区', '县'];
const SPECIFICITY: Record<PlaceKind, number> = { district: 0, zone: 1, street: 2, landmark: 3 };

export function normalizeAddress(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}]+/gu, '');
}

export interface GazetteerHit {
  ok: true;
  place: GazetteerPlace;
  /** the text of the input that matched (a name, an alias or a tolerated variant) */
  matched: string;
  how: 'exact' | 'contains';
}

export interface GazetteerMiss {
  ok: false;
  query: string;
  /** each way the input was tried, in order, for the "not found" answer */
  tried: string[];
  /** up to three places that share the most characters with the input */
  suggestions: Array<Pick<GazetteerPlace, 'name' | 'kind' | 'district'>>;
}

interface Key {
  text: string;
  /** what the page may show: the name or alias as written, or the variant */
  label: string;
  place: GazetteerPlace;
  /** 0 the name or an alias, 1 a street with another suffix, 2 an area without 区/县, 3 a bare street base */
  quality: 0 | 1 | 2 | 3;
  /** also used for "contained in the address" (a bare base like 科技 or 雁塔 is exact-only) */
  contains: boolean;
}

export class Gazetteer {
  private readonly exact = new Map<string, Key[]>();
  private readonly containable: Key[] = [];

  constructor(readonly file: GazetteerFile) {
    for (const place of file.places) {
      const names = [place.name, ...place.aliases].map((raw) => ({ raw, text: normalizeAddress(raw) })).filter((n) => n.text.length > 0);
      // Names and aliases first: a variant never hides a true name of the same place.
      for (const n of names) this.add({ text: n.text, label: n.raw.trim(), place, quality: 0, contains: true });
      for (const n of names) for (const v of variants(n.text, place.kind)) this.add({ ...v, label: v.text, place });
    }
  }

  get city(): string {
    return this.file.city;
  }

  lookup(input: string): GazetteerHit | GazetteerMiss {
    const text = normalizeAddress(input);
    const tried: string[] = [];
    for (const candidate of withoutCityPrefixes(text)) {
      tried.push(`the whole input "${candidate}" as a place name or alias`);
      const keys = this.exact.get(candidate);
      if (keys) return hit(best(keys, EXACT_ORDER), 'exact');
    }
    if (text.length > 0) {
      tried.push(`place names and aliases contained in "${text}"`);
      const found = this.containable.filter((k) => text.includes(k.text));
      if (found.length > 0) {
        const named = new Set(found.filter((k) => k.place.kind === 'district').map((k) => k.place.district));
        return hit(best(found, containsOrder(named)), 'contains');
      }
    }
    return { ok: false, query: input, tried, suggestions: this.suggest(text) };
  }

  private add(k: Key): void {
    const list = this.exact.get(k.text) ?? [];
    if (list.some((o) => o.place.id === k.place.id)) return;
    list.push(k);
    this.exact.set(k.text, list);
    if (k.contains) this.containable.push(k);
  }

  private suggest(text: string): GazetteerMiss['suggestions'] {
    const grams = bigrams(text);
    if (grams.size === 0) return [];
    return this.file.places
      .map((p) => ({ p, shared: Math.max(...[p.name, ...p.aliases].map((n) => overlap(grams, bigrams(normalizeAddress(n))))) }))
      .filter((s) => s.shared > 0)
      .sort((a, b) => b.shared - a.shared || SPECIFICITY[b.p.kind] - SPECIFICITY[a.p.kind] || a.p.id.localeCompare(b.p.id))
      .slice(0, 3)
      .map(({ p }) => ({ name: p.name, kind: p.kind, district: p.district }));
  }
}

function variants(text: string, kind: PlaceKind): Array<Pick<Key, 'text' | 'quality' | 'contains'>> {
  const out: Array<Pick<Key, 'text' | 'quality' | 'contains'>> = [];
  if (kind === 'street') {
    const suffix = STREET_SUFFIXES.find((s) => text.endsWith(s));
    if (suffix) {
      const base = text.slice(0, -suffix.length);
      if (base.length >= 2) {
        for (const other of STREET_SUFFIXES) if (other !== suffix) out.push({ text: base + other, quality: 1, contains: true });
        out.push({ text: base, quality: 3, contains: false });
      }
    }
  }
  const area = AREA_SUFFIXES.find((s) => text.endsWith(s));
  if (area && (kind === 'district' || kind === 'zone') && text.length - area.length >= 2) {
    out.push({ text: text.slice(0, -area.length), quality: 2, contains: false });
  }
  return out;
}

function withoutCityPrefixes(text: string): string[] {
  const out = [text];
  let rest = text;
  for (let stripped = true; stripped;) {
    stripped = false;
    for (const p of CITY_PREFIXES) {
      if (rest.startsWith(p) && rest.length > p.length) {
        rest = rest.slice(p.length);
        out.push(rest);
        stripped = true;
      }
    }
  }
  return out.filter((t) => t.length > 0);
}

/** Scores compared in order, higher first; the place id breaks what is left, so answers are stable. */
type Order = (k: Key) => number[];

/** The whole input is the key: the truest form wins (a name over 路/街 swaps over 雁塔 for 雁塔区 over 科技 for 科技路). */
const EXACT_ORDER: Order = (k) => [-k.quality, SPECIFICITY[k.place.kind]];

/** A key inside the input: not a district, then longer, then more specific, then truer, then in a district the input names. */
const containsOrder =
  (namedDistricts: ReadonlySet<string>): Order =>
  (k) => [
    k.place.kind === 'district' ? 0 : 1,
    k.text.length,
    SPECIFICITY[k.place.kind],
    -k.quality,
    namedDistricts.has(k.place.district) ? 1 : 0,
  ];

function best(keys: readonly Key[], order: Order): Key {
  return [...keys].sort((a, b) => {
    const sa = order(a),
      sb = order(b);
    for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return sb[i]! - sa[i]!;
    return a.place.id < b.place.id ? -1 : a.place.id > b.place.id ? 1 : 0;
  })[0]!;
}

const hit = (k: Key, how: GazetteerHit['how']): GazetteerHit => ({ ok: true, place: k.place, matched: k.label, how });

function bigrams(text: string): Set<string> {
  const chars = [...text];
  const out = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i]! + chars[i + 1]!);
  return out;
}

function overlap(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let n = 0;
  for (const g of b) if (a.has(g)) n++;
  return n;
}
