// The partner network's city data set: SYNTHETIC parcel-locker sites over Xi'an, made from the
// gazetteer (hub/data/gazetteer-xian.json). Deterministic for a seed (sfc32 PRNG, plain IEEE
// arithmetic only, so every machine makes the same bytes). Sites cluster around the gazetteer's
// streets and landmarks; each district's share follows a weight (dense urban core, sparse outer
// counties). Addresses are district + street + number + a made-up residential compound name.
// The 1,354-site default ships as simulators/data/xian-partner-sites.json (make-dataset.ts writes
// it; a test keeps it equal to generateSites(1354, DEFAULT_SEED)). Any n works: 100,000 sites take
// well under a second.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { Gazetteer, PARTNER_SIZES, XIAN_BBOX, type GazetteerPlace, type PartnerSize } from '@xinbao/protocol';

export const DEFAULT_SEED = 1354;
export const SHIPPED_SITE_COUNT = 1354;
export const GAZETTEER_PATH = fileURLToPath(new URL('../../../hub/data/gazetteer-xian.json', import.meta.url));
export const SHIPPED_SITES_PATH = fileURLToPath(new URL('../../data/xian-partner-sites.json', import.meta.url));

const SizeLoad = z.object({ total: z.number().int().min(0), occupied: z.number().int().min(0) });
export const SiteDeviceSeed = z.object({
  deviceId: z.string(),
  status: z.enum(['online', 'offline', 'fault']),
  compartments: z.object({ S: SizeLoad, M: SizeLoad, L: SizeLoad, XL: SizeLoad }),
});
export type SiteDeviceSeed = z.infer<typeof SiteDeviceSeed>;
export const SiteSeed = z.object({
  siteId: z.string(),
  name: z.string(),
  address: z.string(),
  district: z.string(),
  lat: z.number(),
  lng: z.number(),
  devices: z.array(SiteDeviceSeed).min(1),
});
export type SiteSeed = z.infer<typeof SiteSeed>;
export const SiteDatasetFile = z.object({
  note: z.string(),
  city: z.string(),
  datum: z.literal('WGS84'),
  seed: z.number().int(),
  count: z.number().int(),
  sites: z.array(SiteSeed),
});
export type SiteDatasetFile = z.infer<typeof SiteDatasetFile>;

/** Share of sites per district or zone (relative). The urban core is dense, outer counties sparse. */
const DISTRICT_WEIGHT: Readonly<Record<string, number>> = {
  新城区: 10,
  碑林区: 10,
  莲湖区: 10,
  雁塔区: 10,
  未央区: 10,
  高新区: 10,
  经开区: 5,
  曲江新区: 5,
  长安区: 5,
  灞桥区: 5,
  浐灞生态区: 5,
  国际港务区: 5,
  航天基地: 2,
  西咸新区: 2,
  临潼区: 1,
  阎良区: 1,
  高陵区: 1,
  鄠邑区: 1,
  航空基地: 1,
  蓝田县: 0.5,
  周至县: 0.5,
};
/** Spread of sites around an anchor, metres (one standard deviation). */
const SPREAD_M = { street: 450, landmark: 350, core: 1200, outer: 2500 };
const OUTER = new Set(['临潼区', '阎良区', '高陵区', '鄠邑区', '蓝田县', '周至县', '航空基地', '西咸新区']);
const M_PER_DEG_LAT = 111_195;
/** At Xi'an's latitude (≈34.26°); a constant so no transcendental function enters the data. */
const M_PER_DEG_LNG = 91_900;

const COMPOUND_HEADS = [
  '紫薇',
  '翠华',
  '金地',
  '绿地',
  '融创',
  '万科',
  '天朗',
  '华润',
  '中海',
  '保利',
  '龙湖',
  '枫林',
  '锦园',
  '丰庆',
  '电子',
  '西北',
  '建工',
  '雅荷',
  '阳光',
  '兴庆',
  '文景',
  '凤城',
  '城南',
  '鱼化',
  '丈八',
  '唐延',
  '曲江',
  '大明宫',
  '太白',
  '含光',
  '雁鸣',
  '芙蓉',
  '长乐',
  '幸福',
  '金花',
  '咸宁',
  '朱雀',
  '明德',
  '未央',
  '汉城',
  '白桦林',
  '枫叶',
  '海荣',
  '天地源',
  '陕建',
  '秦川',
  '南湖',
  '浐河',
];
const COMPOUND_TAILS = [
  '小区',
  '花园',
  '家园',
  '新村',
  '公寓',
  '雅苑',
  '佳苑',
  '华府',
  '名邸',
  '新城',
  '国际',
  '社区',
  '苑',
  '府',
  '尚城',
  '御园',
];
const COMPOUND_PARTS = ['', '', '', '', '一期', '二期', '三期', 'A区', 'B区', '东区', '西区', '南区', '北区'];
const SPOTS = ['北门', '南门', '东门', '西门', '1号楼旁', '3号楼下', '物业中心', '地下车库入口', '便利店旁', '快递驿站旁', '中心广场'];
/** For a district without a street in the gazetteer: names found in any county town. */
const TOWN_STREETS = ['人民路', '文化路', '建设路', '东大街', '西大街', '南大街', '北大街', '团结路'];

interface Anchor {
  place: GazetteerPlace;
  spreadM: number;
  /** a street of the same district to write in addresses, or null to use TOWN_STREETS */
  street: string | null;
}

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator), 32-bit state words, [0, 1) floats. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  let b = 0x9e3779b9;
  let c = 0x243f6a88;
  let d = 0xb7e15162;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

let cachedGazetteer: Gazetteer | undefined;
export function loadGazetteer(path = GAZETTEER_PATH): Gazetteer {
  if (path === GAZETTEER_PATH && cachedGazetteer) return cachedGazetteer;
  const g = Gazetteer.parse(JSON.parse(readFileSync(path, 'utf8')));
  if (path === GAZETTEER_PATH) cachedGazetteer = g;
  return g;
}

function anchorsByDistrict(g: Gazetteer): Map<string, Anchor[]> {
  const streets = g.places.filter((p) => p.kind === 'street');
  const nearestStreet = (p: GazetteerPlace): string | null => {
    let best: GazetteerPlace | null = null;
    let bestD = Infinity;
    for (const s of streets) {
      if (s.district !== p.district) continue;
      const d = ((s.lat - p.lat) * M_PER_DEG_LAT) ** 2 + ((s.lng - p.lng) * M_PER_DEG_LNG) ** 2;
      if (d < bestD) [best, bestD] = [s, d];
    }
    return best?.name ?? null;
  };
  const out = new Map<string, Anchor[]>();
  for (const place of g.places) {
    const spreadM =
      place.kind === 'street'
        ? SPREAD_M.street
        : place.kind === 'landmark'
          ? SPREAD_M.landmark
          : OUTER.has(place.district)
            ? SPREAD_M.outer
            : SPREAD_M.core;
    const anchor: Anchor = { place, spreadM, street: place.kind === 'street' ? place.name : nearestStreet(place) };
    const list = out.get(place.district) ?? [];
    list.push(anchor);
    out.set(place.district, list);
  }
  return out;
}

/** Picks an index by weight with one uniform draw (cumulative table + binary search). */
function weightedPicker(weights: readonly number[]): (u: number) => number {
  const cum: number[] = [];
  let sum = 0;
  for (const w of weights) cum.push((sum += w));
  return (u) => {
    const x = u * sum;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** n synthetic sites, the same for the same (n, seed, gazetteer). */
export function generateSites(n: number, seed: number, gazetteer: Gazetteer = loadGazetteer()): SiteSeed[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`site count must be a whole number ≥ 0, got ${n}`);
  const rand = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  /** ≈ standard normal from four uniforms (Irwin–Hall), to keep to + and × */
  const normal = (): number => (rand() + rand() + rand() + rand() - 2) * 1.7320508075688772;

  const byDistrict = anchorsByDistrict(gazetteer);
  const districts = [...byDistrict.keys()].filter((d) => (DISTRICT_WEIGHT[d] ?? 0) > 0);
  const pickDistrict = weightedPicker(districts.map((d) => DISTRICT_WEIGHT[d]!));
  const idWidth = Math.max(6, String(n).length);

  const sites: SiteSeed[] = [];
  for (let i = 0; i < n; i++) {
    const district = districts[pickDistrict(rand())]!;
    const anchor = pick(byDistrict.get(district)!);
    const lat = clamp(anchor.place.lat + (normal() * anchor.spreadM) / M_PER_DEG_LAT, XIAN_BBOX.minLat, XIAN_BBOX.maxLat);
    const lng = clamp(anchor.place.lng + (normal() * anchor.spreadM) / M_PER_DEG_LNG, XIAN_BBOX.minLng, XIAN_BBOX.maxLng);
    const street = anchor.street ?? pick(TOWN_STREETS);
    const number = 1 + Math.floor(rand() * rand() * 600);
    const compound = `${pick(COMPOUND_HEADS)}${pick(COMPOUND_TAILS)}${pick(COMPOUND_PARTS)}`;
    const spot = pick(SPOTS);
    const siteId = `XA${String(i + 1).padStart(idWidth, '0')}`;
    const u = rand();
    const deviceCount = u < 0.55 ? 1 : u < 0.9 ? 2 : 3;
    const devices: SiteDeviceSeed[] = [];
    for (let k = 1; k <= deviceCount; k++) devices.push(makeDevice(`${siteId}-${k}`, rand));
    sites.push({
      siteId,
      name: `${compound}${spot}`,
      address: `西安市${district}${street}${number}号${compound}${spot}`,
      district,
      lat: round6(lat),
      lng: round6(lng),
      devices,
    });
  }
  return sites;
}

function makeDevice(deviceId: string, rand: () => number): SiteDeviceSeed {
  const s = rand();
  const status = s < 0.95 ? 'online' : s < 0.985 ? 'offline' : 'fault';
  const totals: Record<PartnerSize, number> = {
    S: 16 + Math.floor(rand() * 24),
    M: 8 + Math.floor(rand() * 14),
    L: 4 + Math.floor(rand() * 8),
    XL: Math.floor(rand() * 4),
  };
  const load = 0.15 + rand() * 0.8;
  const compartments = {} as SiteDeviceSeed['compartments'];
  for (const size of PARTNER_SIZES) {
    const total = totals[size];
    const f = clamp(load + (rand() - 0.5) * 0.3, 0, 1);
    compartments[size] = { total, occupied: Math.min(total, Math.round(total * f)) };
  }
  return { deviceId, status, compartments };
}

/** The file form: a header, then one site per line (diff-friendly). */
export function formatSiteDataset(sites: readonly SiteSeed[], seed: number): string {
  const header = {
    note: "SYNTHETIC data made by simulators/src/partner-network/dataset.ts generateSites(count, seed): plausible, not real, parcel-locker sites over Xi'an",
    city: '西安市',
    datum: 'WGS84',
    seed,
    count: sites.length,
  };
  const head = JSON.stringify(header).slice(0, -1);
  return `${head},\n"sites":[\n${sites.map((s) => JSON.stringify(s)).join(',\n')}\n]}\n`;
}

export function loadSiteDataset(path = SHIPPED_SITES_PATH): SiteDatasetFile {
  return SiteDatasetFile.parse(JSON.parse(readFileSync(path, 'utf8')));
}
