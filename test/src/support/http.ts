// A small JSON client for the hub's API in tests: method, path, optional bearer token and body.
import { phoneFactor } from '@xinbao/protocol';
import { DEMO_USERS } from '@xinbao/hub/store/seed';
export type Json = Record<string, any>;

export interface HubApi {
  (method: string, path: string, token?: string, body?: unknown, rawBody?: string): Promise<{ status: number; json: Json }>;
}

export function hubApi(baseUrl: () => string): HubApi {
  return async (method, path, token, body, rawBody) => {
    const res = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(rawBody !== undefined ? { body: rawBody } : body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // 204 No Content (a DELETE) has no body to read.
    const text = await res.text();
    return { status: res.status, json: (text === '' ? {} : JSON.parse(text)) as Json };
  };
}

export const DEMO_PASSWORD = 'xinbao-demo';

/** Signs in a seeded demo user and returns the bearer token. */
export async function signIn(api: HubApi, username: string): Promise<string> {
  const r = await api('POST', '/api/auth/login', undefined, { username, password: DEMO_PASSWORD });
  if (r.status !== 200) throw new Error(`could not sign in ${username}: ${JSON.stringify(r.json)}`);
  return r.json.token as string;
}

/**
 * The keypad's second factor (ADR 0018) of a code issued to a seeded demo user: the last 6 digits
 * of the phone on file for them (as the seed writes it), which the hub never sends back.
 */
export function factorOf(username: string): string {
  const user = DEMO_USERS.find((u) => u.username === username);
  const factor = phoneFactor(user?.phone);
  if (!factor) throw new Error(`no demo user ${username} with a phone`);
  return factor;
}
