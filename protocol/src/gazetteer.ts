// The city gazetteer format (hub/data/gazetteer-<city>.json): named places with one WGS84 point
// each: districts and counties, development zones, streets (a representative point) and landmarks.
// The hub resolves a searched address against it; the partner network simulator places its
// synthetic locker sites around its streets and landmarks.
import { z } from 'zod';

export const PLACE_KINDS = ['district', 'zone', 'street', 'landmark'] as const;

export const GazetteerPlace = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    name: z.string().min(1),
    aliases: z.array(z.string().min(1)).default([]),
    kind: z.enum(PLACE_KINDS),
    /** the district, county or development zone the place is in (for a district or zone: itself) */
    district: z.string().min(1),
    lat: z.number().min(-90).max(90),
    lng: z.number().min(-180).max(180),
  })
  .strict();
export type GazetteerPlace = z.infer<typeof GazetteerPlace>;

export const Gazetteer = z
  .object({
    city: z.string().min(1),
    datum: z.literal('WGS84'),
    version: z.number().int().positive(),
    places: z.array(GazetteerPlace).min(1),
  })
  .strict();
export type Gazetteer = z.infer<typeof Gazetteer>;

/** Xi'an's districts and counties (区县). */
export const XIAN_DISTRICTS = [
  '新城区',
  '碑林区',
  '莲湖区',
  '雁塔区',
  '未央区',
  '灞桥区',
  '长安区',
  '临潼区',
  '阎良区',
  '高陵区',
  '鄠邑区',
  '蓝田县',
  '周至县',
] as const;
/** Development zones, which residents name in addresses as if they were districts. */
export const XIAN_ZONES = ['高新区', '经开区', '曲江新区', '浐灞生态区', '国际港务区', '航天基地', '航空基地', '西咸新区'] as const;
/** A box around Xi'an's administrative area (WGS84), with a little margin. */
export const XIAN_BBOX = { minLat: 33.68, maxLat: 34.76, minLng: 107.6, maxLng: 109.84 } as const;
