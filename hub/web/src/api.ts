// The one client of the hub's API. The bearer token lives in sessionStorage (one tab's sign-in ends
// when the tab closes; ADR 0021); every call sends it, and a 401 on any call but the sign-in itself
// forgets it and tells the app to show the sign-in page.
export type Role = 'applicant' | 'staff' | 'courier' | 'admin';

export interface User {
  id: string;
  username: string;
  role: Role;
  displayName: string;
}

export type ScanResult = 'received' | 'already_received' | 'unannounced' | 'refused';
export type EnvelopeCondition = 'ok' | 'damaged' | 'wrong_envelope';

export interface ScanAnswer {
  result: ScanResult;
  reason?: string;
  message: string;
  recorded: boolean;
  parcel?: {
    id: string;
    trackingNumber: string;
    applicationId: string;
    matter: { code: string; name: string };
    applicant: string;
    state: string;
  };
  receivedAt?: string;
  receivedBy?: string;
}

/** A courier's task on the PDA (GET /api/courier/tasks): a pickup visit, or a result's delivery into a kiosk. */
export interface CourierTask {
  visitId: string;
  kind: 'pickup' | 'delivery';
  /** at a locker site, or documents collected from an applicant's address (ADR 0037: no code, no compartment) */
  place: 'site' | 'address';
  site: { code: string; name: string; address: string; mapUrl: string };
  contact: string | null;
  code: string | null;
  pin: string | null;
  qr: string | null;
  parcels: Array<{
    trackingNumber: string;
    compartment: number | null;
    state: string;
    confirmed: { step: string; reason: string | null } | null;
  }>;
  status: string;
}

export type CourierStep = 'picked_up' | 'delivered' | 'failed';
export const FAILURE_REASONS = ['cannot_open', 'parcel_not_found', 'locker_full', 'other'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** One application in the processing queue (GET /api/intake/queue). */
export interface QueueItem {
  applicationId: string;
  trackingNumber: string;
  matter: { code: string; name: string };
  applicant: string;
  receivedAt: string;
  waitedMinutes: number;
  state: string;
}

export type ExceptionAction = 'retry' | 'reassign' | 'contact' | 'close';

/** One exception (GET /api/exceptions) with its parcel's custody trail, people masked. */
export interface ExceptionItem {
  id: string;
  kind: string;
  open: boolean;
  parcel: { id: string; trackingNumber: string | null; state: string | null } | null;
  site: { id: string; code: string | null; name: string | null } | null;
  detail: Record<string, unknown>;
  openedAt: string;
  lastSeenAt: string;
  occurrences: number;
  note: string | null;
  actions: Array<{ action: string; by: { kind: string; name: string | null }; note: string | null; at: string }>;
  custody: Array<{
    kind: string;
    fromState: string | null;
    toState: string;
    actor: { kind: string; name: string | null };
    site: string | null;
    compartment: number | null;
    at: string;
  }>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** seconds, from a 429's Retry-After */
    readonly retryAfter?: number,
    /** the error's details, when the hub gave some (e.g. attemptsLeft, suggestions) */
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const TOKEN = 'xinbao.token';
export const SIGNED_OUT_EVENT = 'xinbao:signed-out';

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN),
  set: (t: string): void => sessionStorage.setItem(TOKEN, t),
  clear: (): void => sessionStorage.removeItem(TOKEN),
};

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const t = token.get();
  let res: Response;
  try {
    res = await fetch(`/api${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(t ? { authorization: `Bearer ${t}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'network', 'network');
  }
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string; details?: unknown } };
  if (!res.ok) {
    // A refused sign-in (password or SMS code) is an answer, not a session that ended.
    if (res.status === 401 && path !== '/auth/login' && path !== '/auth/sms-login') {
      token.clear();
      window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
    }
    const retry = Number(res.headers.get('retry-after'));
    throw new ApiError(
      res.status,
      json.error?.code ?? 'error',
      json.error?.message ?? res.statusText,
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
      json.error?.details,
    );
  }
  return json as T;
}

// --- apply (issue 12): SMS sign-in, the matters, the map's settings, nearby sites, applying ---

/** A service matter of the catalogue (GET /api/matters). */
export interface Matter {
  code: string;
  name: string;
  nameEn: string | null;
  materials: Array<{ code: string; name: string; nameEn: string; core: boolean }>;
  channelsIn: Array<'own_kiosk' | 'partner_locker' | 'courier_pickup' | 'counter'>;
  channelsOut: Array<'own_kiosk' | 'partner_locker' | 'mail' | 'counter'>;
  paperIn: boolean;
  prereview: 'staff' | 'rules';
  parcelSize: 'S' | 'M' | 'L';
}

/** A site near a place (GET /api/sites/nearby); `accessibleFree` once the hub counts low compartments. */
export interface NearbySite {
  id: string;
  network: string;
  name: string;
  address: string;
  district: string;
  lat: number;
  lng: number;
  distanceM: number;
  online: boolean;
  free: Record<string, number>;
  accessibleFree?: number;
}

export interface NearbyAnswer {
  center: { lat: number; lng: number; from: 'coordinate' | 'address'; place?: { name: string; district: string } };
  radiusM: number;
  sites: NearbySite[];
}

export interface MapSettings {
  tileUrl: string | null;
  tileAttribution: string;
  nearbyRadiusM: number;
}

export type SiteChoice = { channel: 'own_kiosk'; siteId: string; accessible?: true } | { channel: 'partner_locker'; siteId: string };
export type DropOffBody = SiteChoice | { channel: 'courier_pickup'; address: string } | { channel: 'counter' } | { channel: 'none' };
export type ReturnBody = SiteChoice | { channel: 'mail'; address: string } | { channel: 'counter' };

export interface ApplyBody {
  matterCode: string;
  materials: Array<{ code: string }>;
  dropOff: DropOffBody;
  returnChannel: ReturnBody;
}

export interface Submitted {
  application: { id: string; status: string; prereview: 'pending' | 'passed'; matterCode: string; matterName: string };
  dropOff: { channel: string; site?: { id: string; name: string; address: string } };
  returnChannel: string;
}

export const portalApi = {
  smsCode: (phone: string): Promise<{ sent: true; expiresInSeconds: number; resendAfterSeconds: number }> =>
    call('POST', '/auth/sms-code', { phone }),
  async smsLogin(phone: string, code: string, consent: { terms: true; lockerDelivery: boolean }, language: 'zh-CN' | 'en'): Promise<User> {
    const r = await call<{ token: string; user: User }>('POST', '/auth/sms-login', { phone, code, consent, language });
    token.set(r.token);
    return r.user;
  },
  matters: async (): Promise<Matter[]> => (await call<{ matters: Matter[] }>('GET', '/matters')).matters,
  mapSettings: async (): Promise<MapSettings> => (await call<{ map: MapSettings }>('GET', '/config/web')).map,
  nearby: (near: { lat: number; lng: number } | { address: string }, radiusM: number): Promise<NearbyAnswer> => {
    const q = new URLSearchParams('address' in near ? { address: near.address } : { lat: String(near.lat), lng: String(near.lng) });
    q.set('radiusM', String(radiusM));
    q.set('limit', '50');
    return call('GET', `/sites/nearby?${q.toString()}`);
  },
  apply: (body: ApplyBody): Promise<Submitted> => call('POST', '/applications', body),
};

export const api = {
  async signIn(username: string, password: string): Promise<User> {
    const r = await call<{ token: string; user: User }>('POST', '/auth/login', { username, password });
    token.set(r.token);
    return r.user;
  },
  async signOut(): Promise<void> {
    try {
      await call('POST', '/auth/logout');
    } finally {
      token.clear();
    }
  },
  me: async (): Promise<User> => (await call<{ user: User }>('GET', '/me')).user,
  scan: (trackingNumber: string, condition: EnvelopeCondition, note: string): Promise<ScanAnswer> =>
    call('POST', '/intake/scans', { trackingNumber, condition, ...(note.trim() ? { note: note.trim() } : {}) }),
  tasks: async (): Promise<CourierTask[]> => (await call<{ visits: CourierTask[] }>('GET', '/courier/tasks')).visits,
  step: (visitId: string, trackingNumber: string, step: CourierStep, reason?: FailureReason): Promise<{ recorded: boolean }> =>
    call('POST', `/courier/visits/${encodeURIComponent(visitId)}/steps`, { trackingNumber, step, ...(reason && { reason }) }),
  queue: async (matter: string): Promise<QueueItem[]> =>
    (await call<{ items: QueueItem[] }>('GET', `/intake/queue${matter ? `?matter=${encodeURIComponent(matter)}` : ''}`)).items,
  accept: (applicationId: string): Promise<unknown> => call('POST', `/applications/${encodeURIComponent(applicationId)}/accept`),
  approve: (applicationId: string): Promise<unknown> => call('POST', `/applications/${encodeURIComponent(applicationId)}/approve`, {}),
  reject: (applicationId: string, reason: string): Promise<unknown> =>
    call('POST', `/applications/${encodeURIComponent(applicationId)}/reject`, { reason }),
  exceptions: async (): Promise<ExceptionItem[]> => (await call<{ items: ExceptionItem[] }>('GET', '/exceptions?open=true')).items,
  act: (id: string, action: ExceptionAction, note: string): Promise<{ open: boolean; result: Record<string, unknown> }> =>
    call('POST', `/exceptions/${encodeURIComponent(id)}/actions`, { action, ...(note.trim() && { note: note.trim() }) }),
};

// ---- The staff console (ADR 0034): pre-review with the one-time notice editor, search, rating follow-ups.

/** One material a matter asks for (GET /api/matters); core ones cannot follow later (容缺). */
export interface PrereviewMaterial {
  code: string;
  name: string;
  nameEn: string;
  core: boolean;
}

export interface PrereviewMatter {
  code: string;
  name: string;
  nameEn: string | null;
  materials: PrereviewMaterial[];
  prereview: 'staff' | 'rules';
}

/** One application waiting for pre-review (GET /api/prereview), the applicant masked. */
export interface PrereviewItem {
  applicationId: string;
  matter: { code: string; name: string; prereview: string };
  applicant: { name: string; phone: string };
  channelIn: string;
  materials: Array<{ code: string; copies?: number }>;
  missingCore: string[];
  missingOther: string[];
  resubmissions: number;
  submittedAt: string;
  waitedMinutes: number;
}

export const MATERIAL_PROBLEMS = ['missing', 'wrong', 'incomplete', 'expired', 'unsigned'] as const;
export type MaterialProblem = (typeof MATERIAL_PROBLEMS)[number];

export interface NoticeRow {
  material: string;
  problem: MaterialProblem;
  whatToDo: string;
}

export interface IssuedNotice {
  number: number;
  items: NoticeRow[];
  note: string | null;
  /** the printable notice as the hub keeps and sends it */
  text: string;
}

/** One application found by GET /api/search (name and phone masked). */
export interface SearchResult {
  applicationId: string;
  matter: { code: string; name: string; nameEn: string | null };
  applicant: string;
  phone: string;
  status: string;
  prereview: string;
  parcels: Array<{ trackingNumber: string; direction: string; state: string }>;
  createdAt: string;
}

/** An application as staff read it (GET /api/applications/{id}): parcels with their custody trail, notices, pre-review steps. */
export interface StaffApplicationView {
  id: string;
  status: string;
  matterCode: string;
  prereview: string;
  channelIn: string;
  channelOut: string;
  materials: Array<{ code: string; copies?: number }>;
  createdAt: string;
  parcels: Array<{
    trackingNumber: string;
    direction: string;
    state: string;
    events: Array<{ kind: string; fromState: string | null; toState: string; actorKind: string; compartment: number | null; at: string }>;
  }>;
  notices: Array<{ id: string; kind: string; message: string; createdAt: string }>;
  prereviewNotices: Array<{ id: string; kind: string; message: string; createdAt: string }>;
  prereviewSteps: Array<{ step: string; byRules: boolean; note: string | null; notice: IssuedNotice | null; at: string }>;
  commitment: { materials: string[]; commitment: string; dueAt: string; receivedAt: string | null } | null;
}

/** A bad rating's follow-up (GET /api/ratings/follow-ups), the applicant masked. */
export interface FollowUp {
  id: string;
  applicationId: string;
  matterName: string;
  applicantName: string;
  grade: number;
  gradeName: { zh: string; en: string };
  comment: string;
  ratedAt: string;
  dueAt: string;
  repliedAt: string | null;
  repliedBy: string | null;
  reply: string | null;
  overdue: boolean;
}

export const staffApi = {
  prereviewMatters: async (): Promise<PrereviewMatter[]> => (await call<{ matters: PrereviewMatter[] }>('GET', '/matters')).matters,
  prereviewQueue: async (): Promise<PrereviewItem[]> => (await call<{ items: PrereviewItem[] }>('GET', '/prereview')).items,
  pass: (id: string, note: string): Promise<unknown> =>
    call('POST', `/prereview/${encodeURIComponent(id)}/pass`, note.trim() ? { note: note.trim() } : {}),
  returnWithNotice: async (id: string, items: NoticeRow[], note: string): Promise<IssuedNotice> =>
    (
      await call<{ notice: IssuedNotice }>('POST', `/prereview/${encodeURIComponent(id)}/return`, {
        items,
        ...(note.trim() && { note: note.trim() }),
      })
    ).notice,
  acceptPending: (id: string, materials: string[], commitment: string, dueAt: string): Promise<unknown> =>
    call('POST', `/prereview/${encodeURIComponent(id)}/accept-pending`, { materials, commitment, dueAt }),
  materialsReceived: (id: string): Promise<unknown> => call('POST', `/prereview/${encodeURIComponent(id)}/materials-received`),
  search: async (q: string): Promise<SearchResult[]> =>
    (await call<{ results: SearchResult[] }>('GET', `/search?q=${encodeURIComponent(q)}`)).results,
  application: async (id: string): Promise<StaffApplicationView> =>
    (await call<{ application: StaffApplicationView }>('GET', `/applications/${encodeURIComponent(id)}`)).application,
  followUps: async (): Promise<FollowUp[]> => (await call<{ items: FollowUp[] }>('GET', '/ratings/follow-ups?open=false')).items,
  reply: (id: string, reply: string): Promise<unknown> => call('POST', `/ratings/follow-ups/${encodeURIComponent(id)}/reply`, { reply }),
};

// ---- the applicant follows an application ("follow", issue 12): their list, one application with its
// pre-review, deposit code, parcels' custody and result, the notices with collection codes, the result's
// actions (switch, more time, resend, authorise someone else) and the rating.

/** One of the applicant's applications (GET /api/me/applications). */
export interface MyApplication {
  id: string;
  matter: { code: string; name: string; nameEn: string | null };
  status: string;
  prereview: string;
  createdAt: string;
  parcels: Array<{ trackingNumber: string; direction: 'inbound' | 'outbound'; state: string }>;
}

/** A custody event as the applicant sees it: the actor's role, never a person. */
export interface CustodyEvent {
  id: string;
  kind: string;
  fromState: string | null;
  toState: string;
  actorKind: string;
  siteId: string | null;
  compartment: number | null;
  at: string;
}

/** Someone authorised to collect a result (委托代领), masked as the hub shows them. */
/** A person authorised to collect a result (委托代领), masked by the hub. */
export interface Delegate {
  id: string;
  name: string;
  phone: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  usedAt: string | null;
}

/** What the result's actions need; present once the hub offers them (the `codes` work). */
/** What the applicant may do about a result (ADR 0033), as `GET /api/applications/{id}` gives it (`result`). */
export interface ResultView {
  parcelId: string;
  state: string;
  /** until when the locker holds it; null when it is not held */
  holdUntil: string | null;
  extensionsLeft: number;
  resendsLeft: number;
  /** the live (or last) delegate, masked by the hub */
  delegate: Delegate | null;
  /** a delegate may be authorised only at an own kiosk */
  delegateSupported: boolean;
}

export interface FollowedParcel {
  id: string;
  direction: 'inbound' | 'outbound';
  trackingNumber: string;
  state: string;
  siteId: string | null;
  events: CustodyEvent[];
}

export interface NoticeItem {
  material: string;
  problem: string;
  whatToDo: string;
}

export interface PrereviewStep {
  step: string;
  byRules: boolean;
  materials: Array<{ code: string; copies?: number }> | null;
  notice: { number: number; items: NoticeItem[]; note: string | null; text: string } | null;
  note: string | null;
  at: string;
}

export interface DepositCode {
  code: string;
  qrToken: string | null;
  qrSvg?: string;
  expiresAt: string;
  factor: { kind: 'phone' } | { kind: 'pin'; pin: string };
  site?: { id?: string; name?: string; address?: string } | null;
  compartment?: number | null;
  resendsLeft?: number;
}

export interface ApplicationDetail {
  id: string;
  status: string;
  channelIn: string;
  channelOut: string;
  matterCode: string;
  prereview: string;
  materials: Array<{ code: string; copies?: number }>;
  createdAt: string;
  parcels: FollowedParcel[];
  prereviewSteps: PrereviewStep[];
  commitment: { materials: string[]; commitment: string; dueAt: string; receivedAt: string | null } | null;
  deposit?: DepositCode | null;
  /** the result's actions (ADR 0033); null before there is a result */
  result?: ResultView | null;
  /** a partner locker's drop-off: its state and, when ready, the partner's open-code */
  dropOff?: {
    state: 'reserving' | 'ready' | 'failed' | 'expired' | 'deposited' | 'collected';
    message: string;
    site: { name?: string; address?: string } | null;
    code?: string;
    compartment?: number;
    expiresAt?: string;
    whatNext?: string[];
  } | null;
}

/** A notice owed to the applicant (GET /api/me/notices); a result's collection code while it waits in the locker. */
export interface ApplicantNotice {
  id: string;
  kind: string;
  applicationId: string;
  parcelId: string | null;
  trackingNumber: string | null;
  parcelState: string | null;
  message: string;
  details: Record<string, unknown>;
  createdAt: string;
}

export interface MatterInfo {
  code: string;
  name: string;
  nameEn: string | null;
  materials: Array<{ code: string; name: string; nameEn?: string | null; core: boolean }>;
}

export interface SiteInfo {
  id: string;
  code: string;
  name: string;
  address: string;
  network: string;
}

export interface RatingInfo {
  grade: number;
  comment: string;
  ratedAt: string;
  followUp: { dueAt: string; repliedAt: string | null; reply: string | null } | null;
}

const idPath = (id: string) => encodeURIComponent(id);

export const followApi = {
  myApplications: (before?: string): Promise<{ applications: MyApplication[]; nextBefore: string | null }> =>
    call('GET', `/me/applications?limit=20${before ? `&before=${idPath(before)}` : ''}`),
  application: async (id: string): Promise<ApplicationDetail> =>
    (await call<{ application: ApplicationDetail }>('GET', `/applications/${idPath(id)}`)).application,
  matters: async (): Promise<MatterInfo[]> => (await call<{ matters: MatterInfo[] }>('GET', '/matters')).matters,
  sites: async (): Promise<SiteInfo[]> => (await call<{ sites: SiteInfo[] }>('GET', '/sites')).sites,
  notices: async (): Promise<ApplicantNotice[]> => (await call<{ notices: ApplicantNotice[] }>('GET', '/me/notices')).notices,
  resubmit: (id: string, materials: Array<{ code: string }>): Promise<unknown> =>
    call('POST', `/applications/${idPath(id)}/resubmit`, { materials }),
  resendDepositCode: (id: string): Promise<{ resent: true; remaining: number }> =>
    call('POST', `/applications/${idPath(id)}/deposit-code/resend`),
  resendResultCode: (parcelId: string): Promise<{ resent: true; remaining: number }> =>
    call('POST', `/results/${idPath(parcelId)}/code/resend`),
  switchResult: (parcelId: string, channel: 'mail' | 'counter', address?: string): Promise<unknown> =>
    call('POST', `/results/${idPath(parcelId)}/switch`, channel === 'mail' && address ? { channel, address } : { channel }),
  extend: (parcelId: string): Promise<{ holdUntil: string }> => call('POST', `/results/${idPath(parcelId)}/extend`),
  delegates: async (parcelId: string): Promise<Delegate[]> =>
    (await call<{ delegates: Delegate[] }>('GET', `/results/${idPath(parcelId)}/delegates`)).delegates,
  authorise: async (parcelId: string, name: string, phone: string): Promise<Delegate> =>
    (await call<{ delegate: Delegate }>('POST', `/results/${idPath(parcelId)}/delegates`, { name, phone })).delegate,
  revoke: (parcelId: string, delegateId: string): Promise<void> =>
    call('DELETE', `/results/${idPath(parcelId)}/delegates/${idPath(delegateId)}`),
  rating: async (id: string): Promise<RatingInfo | null> =>
    (await call<{ rating: RatingInfo | null }>('GET', `/applications/${idPath(id)}/rating`)).rating,
  rate: async (id: string, grade: number, comment: string): Promise<RatingInfo> =>
    (
      await call<{ rating: RatingInfo }>('POST', `/applications/${idPath(id)}/rating`, {
        grade,
        ...(comment.trim() && { comment: comment.trim() }),
      })
    ).rating,
};
