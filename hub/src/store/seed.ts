// Demo data: people for each role, service matters and the hall's own kiosk sites with their
// compartments. Idempotent (keyed by usernames and codes), so a restart of the demo keeps its data.
import { v7 as uuidv7 } from 'uuid';
import type { CompartmentSize } from '../domain/compartments.js';
import { hashPassword, type Role } from '../domain/people.js';
import type { Db } from './db.js';

export const DEMO_PASSWORD = 'xinbao-demo';
/** The courier dispatch simulator's courier that the demo courier user `ems.courier` is. */
export const DEMO_DISPATCH_COURIER = 'EMS-XA-001';

export const DEMO_USERS: Array<{ username: string; role: Role; displayName: string; phone: string }> = [
  { username: 'zhang.san', role: 'applicant', displayName: '张三', phone: '13800000001' },
  { username: 'li.si', role: 'applicant', displayName: '李四 (西安某贸易有限公司)', phone: '13800000002' },
  { username: 'hall.staff', role: 'staff', displayName: '王五 (受理窗口)', phone: '13800000003' },
  { username: 'ems.courier', role: 'courier', displayName: '赵六 (EMS)', phone: '13800000004' },
  { username: 'ops.admin', role: 'admin', displayName: '运维管理员', phone: '13800000005' },
];

export const DEMO_MATTERS = [
  {
    code: 'business-licence-change',
    name: '营业执照变更登记 (business licence change)',
    parcelSize: 'M',
    channels: ['own_kiosk', 'partner_locker', 'mail', 'counter'],
    materials: [
      { name: '变更登记申请书', core: true },
      { name: '股东会决议', core: true },
      { name: '营业执照正副本', core: true },
    ],
  },
  {
    code: 'customs-declarant-record',
    name: '报关单位备案 (customs declarant record)',
    parcelSize: 'S',
    channels: ['own_kiosk', 'partner_locker', 'counter'],
    materials: [
      { name: '备案登记表', core: true },
      { name: '营业执照复印件', core: false },
    ],
  },
  {
    code: 'construction-permit',
    name: '建筑工程施工许可 (construction permit)',
    parcelSize: 'L',
    channels: ['own_kiosk', 'counter'],
    materials: [
      { name: '施工许可申请表', core: true },
      { name: '施工图审查合格书', core: true },
    ],
  },
] as const;

export interface DemoSite {
  code: string;
  name: string;
  address: string;
  district: string;
  lat: number;
  lng: number;
  compartments: CompartmentSize[];
}

/** The five places of the original programme, each with a 16-compartment kiosk (one KR-CU16 board). */
export const DEMO_SITES: DemoSite[] = [
  {
    code: 'own-hall',
    name: '政务服务中心 自助信包箱',
    address: '西安国际港务区港务大道 1 号 政务服务中心一楼',
    district: '国际港务区',
    lat: 34.3733,
    lng: 109.0526,
    compartments: kiosk16(),
  },
  {
    code: 'own-huanancheng',
    name: '华南城 自助信包箱',
    address: '西安国际港务区华南城 2 号交易广场',
    district: '国际港务区',
    lat: 34.3861,
    lng: 109.0463,
    compartments: kiosk16(),
  },
  {
    code: 'own-finance-town',
    name: '中西部陆港金融小镇 自助信包箱',
    address: '西安国际港务区陆港金融小镇 A 座',
    district: '国际港务区',
    lat: 34.3654,
    lng: 109.0681,
    compartments: kiosk16(),
  },
  {
    code: 'own-bonded',
    name: '保税大厦 自助信包箱',
    address: '西安国际港务区保税大厦一层大堂',
    district: '国际港务区',
    lat: 34.3598,
    lng: 109.0432,
    compartments: kiosk16(),
  },
  {
    code: 'own-silk-road',
    name: '新丝路电商产业园 自助信包箱',
    address: '西安国际港务区新丝路电商产业园 3 号楼',
    district: '国际港务区',
    lat: 34.3942,
    lng: 109.0607,
    compartments: kiosk16(),
  },
];

function kiosk16(): CompartmentSize[] {
  return [...Array<CompartmentSize>(6).fill('S'), ...Array<CompartmentSize>(7).fill('M'), ...Array<CompartmentSize>(3).fill('L')];
}

export async function seedDemo(db: Db, sites: DemoSite[] = DEMO_SITES): Promise<void> {
  const existing = new Set((await db.query<{ username: string }>('SELECT username FROM users')).rows.map((r) => r.username));
  for (const u of DEMO_USERS) {
    if (existing.has(u.username)) continue;
    await db.query(
      `INSERT INTO users (id, username, password_hash, role, display_name, phone) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (username) DO NOTHING`,
      [uuidv7(), u.username, await hashPassword(DEMO_PASSWORD), u.role, u.displayName, u.phone],
    );
  }
  // The demo courier is the courier dispatch simulator's first courier (ADR 0023): their PDA lists its visits.
  await db.query(
    `UPDATE users SET dispatch_courier_id = $2 WHERE username = $1 AND dispatch_courier_id IS NULL
       AND NOT EXISTS (SELECT 1 FROM users WHERE dispatch_courier_id = $2)`,
    ['ems.courier', DEMO_DISPATCH_COURIER],
  );
  for (const m of DEMO_MATTERS) {
    await db.query(
      `INSERT INTO service_matters (id, code, name, materials, channels, parcel_size) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (code) DO NOTHING`,
      [uuidv7(), m.code, m.name, JSON.stringify(m.materials), m.channels, m.parcelSize],
    );
  }
  for (const s of sites) {
    const r = await db.query<{ id: string }>(
      `INSERT INTO sites (id, network, code, name, address, district, lat, lng) VALUES ($1, 'own', $2, $3, $4, $5, $6, $7)
       ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
      [uuidv7(), s.code, s.name, s.address, s.district, s.lat, s.lng],
    );
    const siteId = r.rows[0]!.id;
    for (const [i, size] of s.compartments.entries()) {
      await db.query(
        `INSERT INTO compartments (id, site_id, number, size) VALUES ($1, $2, $3, $4) ON CONFLICT (site_id, number) DO NOTHING`,
        [uuidv7(), siteId, i + 1, size],
      );
    }
  }
}
