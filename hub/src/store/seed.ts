// Demo data: people for each role, service matters and the hall's own kiosk sites with their
// compartments. Idempotent (keyed by usernames and codes), so a restart of the demo keeps its data.
import { v7 as uuidv7 } from 'uuid';
import type { CompartmentSize } from '../domain/compartments.js';
import { hashPassword, type Role } from '../domain/people.js';
import type { ChannelIn, ChannelOut, MaterialSpec, PrereviewMode } from '../domain/prereview.js';
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

/**
 * The catalogue of service matters (ADR 0027): what each needs (core materials must come; others may
 * follow under a 容缺 commitment), how paper may travel in and the result come back, whether any
 * paper goes in at all, and whether the hall's rules pass an application declaring every core
 * material (`rules`) or staff look at each (`staff`).
 */
export const DEMO_MATTERS: readonly DemoMatter[] = [
  {
    code: 'business-licence-change',
    name: '营业执照变更登记 (business licence change)',
    nameEn: 'Business licence change',
    parcelSize: 'M',
    paperIn: true,
    prereview: 'staff',
    channelsIn: ['own_kiosk', 'partner_locker', 'courier_pickup', 'counter'],
    channelsOut: ['own_kiosk', 'partner_locker', 'mail', 'counter'],
    materials: [
      { code: 'application-form', name: '变更登记申请书', nameEn: 'Application for change registration', core: true },
      { code: 'shareholder-resolution', name: '股东会决议', nameEn: 'Shareholders’ resolution', core: true },
      { code: 'licence-original', name: '营业执照正副本', nameEn: 'Business licence, original and duplicate', core: true },
      { code: 'articles-amendment', name: '章程修正案', nameEn: 'Amendment to the articles of association', core: false },
    ],
  },
  {
    code: 'customs-declarant-record',
    name: '报关单位备案 (customs declarant record)',
    nameEn: 'Customs declarant record',
    parcelSize: 'S',
    paperIn: true,
    prereview: 'staff',
    channelsIn: ['own_kiosk', 'partner_locker', 'counter'],
    channelsOut: ['own_kiosk', 'counter'],
    materials: [
      { code: 'record-form', name: '报关单位备案信息表', nameEn: 'Customs declarant record form', core: true },
      { code: 'licence-copy', name: '营业执照复印件', nameEn: 'Copy of the business licence', core: false },
    ],
  },
  {
    code: 'construction-permit',
    name: '建筑工程施工许可 (construction permit)',
    nameEn: 'Construction permit',
    parcelSize: 'L',
    paperIn: true,
    prereview: 'staff',
    channelsIn: ['own_kiosk', 'counter'],
    channelsOut: ['own_kiosk', 'counter'],
    materials: [
      { code: 'permit-application', name: '建筑工程施工许可申请表', nameEn: 'Construction permit application form', core: true },
      { code: 'drawing-review', name: '施工图审查合格书', nameEn: 'Construction drawing review certificate', core: true },
      { code: 'land-use-certificate', name: '建设用地规划许可证', nameEn: 'Land use planning permit', core: true },
      { code: 'safety-measures', name: '安全施工措施资料', nameEn: 'Site safety measures', core: false },
    ],
  },
  {
    code: 'food-business-licence',
    name: '食品经营许可证核发 (food business licence)',
    nameEn: 'Food business licence',
    parcelSize: 'M',
    paperIn: true,
    prereview: 'staff',
    channelsIn: ['own_kiosk', 'partner_locker', 'courier_pickup', 'counter'],
    channelsOut: ['own_kiosk', 'partner_locker', 'mail', 'counter'],
    materials: [
      { code: 'application-form', name: '食品经营许可申请书', nameEn: 'Food business licence application', core: true },
      { code: 'licence-copy', name: '营业执照复印件', nameEn: 'Copy of the business licence', core: true },
      { code: 'floor-plan', name: '经营场所平面布局图', nameEn: 'Floor plan of the premises', core: true },
      { code: 'food-safety-rules', name: '食品安全管理制度文本', nameEn: 'Food safety management rules', core: false },
    ],
  },
  {
    code: 'social-insurance-enrolment',
    name: '单位参保登记 (employer social insurance enrolment)',
    nameEn: 'Employer social insurance enrolment',
    parcelSize: 'S',
    paperIn: true,
    prereview: 'rules',
    channelsIn: ['own_kiosk', 'partner_locker', 'counter'],
    channelsOut: ['own_kiosk', 'partner_locker', 'mail', 'counter'],
    materials: [
      { code: 'enrolment-form', name: '社会保险登记表', nameEn: 'Social insurance registration form', core: true },
      { code: 'licence-copy', name: '营业执照复印件', nameEn: 'Copy of the business licence', core: true },
      { code: 'bank-account', name: '开户许可证复印件', nameEn: 'Copy of the bank account permit', core: false },
    ],
  },
  {
    code: 'housing-fund-withdrawal',
    name: '住房公积金提取 (housing provident fund withdrawal)',
    nameEn: 'Housing provident fund withdrawal',
    parcelSize: 'S',
    paperIn: true,
    prereview: 'rules',
    channelsIn: ['own_kiosk', 'partner_locker', 'counter'],
    channelsOut: ['own_kiosk', 'mail', 'counter'],
    materials: [
      { code: 'withdrawal-form', name: '住房公积金提取申请表', nameEn: 'Withdrawal application form', core: true },
      { code: 'id-copy', name: '身份证复印件', nameEn: 'Copy of the identity card', core: true },
      { code: 'purchase-contract', name: '购房合同', nameEn: 'Home purchase contract', core: true },
    ],
  },
  {
    code: 'seal-engraving-record',
    name: '印章刻制备案 (company seal engraving record)',
    nameEn: 'Company seal engraving record',
    parcelSize: 'S',
    paperIn: true,
    prereview: 'rules',
    channelsIn: ['own_kiosk', 'counter'],
    channelsOut: ['own_kiosk', 'counter'],
    materials: [
      { code: 'record-form', name: '印章刻制备案表', nameEn: 'Seal engraving record form', core: true },
      { code: 'licence-copy', name: '营业执照复印件', nameEn: 'Copy of the business licence', core: true },
    ],
  },
  {
    code: 'road-transport-permit',
    name: '道路货物运输经营许可 (road freight transport permit)',
    nameEn: 'Road freight transport permit',
    parcelSize: 'L',
    paperIn: true,
    prereview: 'staff',
    channelsIn: ['own_kiosk', 'courier_pickup', 'counter'],
    channelsOut: ['own_kiosk', 'mail', 'counter'],
    materials: [
      { code: 'permit-application', name: '道路货物运输经营申请表', nameEn: 'Road freight permit application', core: true },
      { code: 'vehicle-list', name: '车辆技术资料及行驶证复印件', nameEn: 'Vehicle papers and registration copies', core: true },
      { code: 'driver-qualifications', name: '驾驶人员从业资格证复印件', nameEn: 'Drivers’ qualification certificates', core: true },
      { code: 'safety-rules', name: '安全生产管理制度文本', nameEn: 'Safety management rules', core: false },
    ],
  },
  {
    code: 'tax-registration-change',
    name: '税务登记信息变更 (tax registration change)',
    nameEn: 'Tax registration change',
    parcelSize: 'S',
    paperIn: false,
    prereview: 'rules',
    channelsIn: [],
    channelsOut: ['mail', 'counter'],
    materials: [{ code: 'change-form', name: '变更税务登记表（电子）', nameEn: 'Tax registration change form (electronic)', core: true }],
  },
  {
    code: 'individual-business-registration',
    name: '个体工商户设立登记 (sole trader registration)',
    nameEn: 'Sole trader registration',
    parcelSize: 'S',
    paperIn: true,
    prereview: 'staff',
    channelsIn: ['own_kiosk', 'partner_locker', 'courier_pickup', 'counter'],
    channelsOut: ['own_kiosk', 'partner_locker', 'mail', 'counter'],
    materials: [
      { code: 'registration-form', name: '个体工商户登记申请书', nameEn: 'Sole trader registration application', core: true },
      { code: 'id-copy', name: '经营者身份证复印件', nameEn: 'Copy of the operator’s identity card', core: true },
      { code: 'premises-proof', name: '经营场所使用证明', nameEn: 'Proof of the right to use the premises', core: true },
    ],
  },
];

export interface DemoMatter {
  code: string;
  name: string;
  nameEn: string;
  parcelSize: CompartmentSize;
  paperIn: boolean;
  prereview: PrereviewMode;
  channelsIn: ChannelIn[];
  channelsOut: ChannelOut[];
  materials: MaterialSpec[];
}

export interface DemoSite {
  code: string;
  name: string;
  address: string;
  district: string;
  lat: number;
  lng: number;
  compartments: CompartmentSize[];
  /** the numbers of its accessible (low) compartments (ADR 0033); KIOSK16_LOW when not said */
  accessible?: number[];
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

/**
 * The low compartments of a 16-compartment kiosk (ADR 0033): each size's column is numbered top to
 * bottom, so the last numbers of each size are the bottom row a wheelchair user can reach —
 * S 5 and 6, M 12 and 13, L 16.
 */
export const KIOSK16_LOW: readonly number[] = [5, 6, 12, 13, 16];

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
    // The catalogue is the seed's to keep: a restart brings an older demo database up to it.
    await db.query(
      `INSERT INTO service_matters (id, code, name, name_en, materials, channels, channels_in, channels_out, paper_in, prereview, parcel_size)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en, materials = EXCLUDED.materials,
         channels = EXCLUDED.channels, channels_in = EXCLUDED.channels_in, channels_out = EXCLUDED.channels_out,
         paper_in = EXCLUDED.paper_in, prereview = EXCLUDED.prereview, parcel_size = EXCLUDED.parcel_size`,
      [
        uuidv7(),
        m.code,
        m.name,
        m.nameEn,
        JSON.stringify(m.materials),
        [...new Set<string>([...m.channelsIn, ...m.channelsOut])],
        m.channelsIn,
        m.channelsOut,
        m.paperIn,
        m.prereview,
        m.parcelSize,
      ],
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
    await db.query('UPDATE compartments SET accessible = true WHERE site_id = $1 AND number = ANY($2::int[]) AND NOT accessible', [
      siteId,
      s.accessible ?? KIOSK16_LOW,
    ]);
  }
}
