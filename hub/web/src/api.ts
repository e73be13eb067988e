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

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** seconds, from a 429's Retry-After */
    readonly retryAfter?: number,
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
  const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (!res.ok) {
    if (res.status === 401 && path !== '/auth/login') {
      token.clear();
      window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
    }
    const retry = Number(res.headers.get('retry-after'));
    throw new ApiError(
      res.status,
      json.error?.code ?? 'error',
      json.error?.message ?? res.statusText,
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
    );
  }
  return json as T;
}

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
};
