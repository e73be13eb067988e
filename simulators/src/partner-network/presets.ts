// Named, hand-made site sets for tests (here and in the hub's partner tests): small enough to
// reason about compartment by compartment, at real Xi'an places from the gazetteer.
import type { PartnerSize } from '@xinbao/protocol';
import type { SiteDeviceSeed, SiteSeed } from './dataset.js';

type Load = Partial<Record<PartnerSize, [total: number, occupied: number]>>;

export function presetDevice(deviceId: string, load: Load, status: SiteDeviceSeed['status'] = 'online'): SiteDeviceSeed {
  const c = (s: PartnerSize) => ({ total: load[s]?.[0] ?? 0, occupied: load[s]?.[1] ?? 0 });
  return { deviceId, status, compartments: { S: c('S'), M: c('M'), L: c('L'), XL: c('XL') } };
}

/**
 * "Tiny Xi'an":
 * - BELL (钟楼): device BELL-1 online with S 2 (1 free), M 2 (2 free), L 1 (full), XL 1 (1 free);
 *   device BELL-2 offline with everything free.
 * - XIAOZHAI (小寨, ≈4.2 km south): XIAOZHAI-1 online, S full, M full, L 2 free.
 * - PORT (国际港务区, ≈17 km north-east): PORT-1 online, 3 S free.
 * - NORTH (西安北站, ≈13 km north): NORTH-1 in fault.
 */
export function tinyXian(): SiteSeed[] {
  return [
    {
      siteId: 'BELL',
      name: '钟楼小区北门',
      address: '西安市碑林区北大街1号钟楼小区北门',
      district: '碑林区',
      lat: 34.261,
      lng: 108.9423,
      devices: [
        presetDevice('BELL-1', { S: [2, 1], M: [2, 0], L: [1, 1], XL: [1, 0] }),
        presetDevice('BELL-2', { S: [4, 0], M: [2, 0], L: [1, 0], XL: [1, 0] }, 'offline'),
      ],
    },
    {
      siteId: 'XIAOZHAI',
      name: '小寨花园东门',
      address: '西安市雁塔区小寨东路10号小寨花园东门',
      district: '雁塔区',
      lat: 34.2232,
      lng: 108.944,
      devices: [presetDevice('XIAOZHAI-1', { S: [3, 3], M: [2, 2], L: [2, 0] })],
    },
    {
      siteId: 'PORT',
      name: '港务家园南门',
      address: '西安市国际港务区港务大道8号港务家园南门',
      district: '国际港务区',
      lat: 34.382,
      lng: 109.06,
      devices: [presetDevice('PORT-1', { S: [3, 0] })],
    },
    {
      siteId: 'NORTH',
      name: '北站公寓西门',
      address: '西安市未央区文景路2号北站公寓西门',
      district: '未央区',
      lat: 34.3758,
      lng: 108.9383,
      devices: [presetDevice('NORTH-1', { S: [2, 0], M: [2, 0] }, 'fault')],
    },
  ];
}
