// Applying as a test needs it before pre-review existed (ADR 0027): the applicant applies, staff
// pass the application's pre-review (unless the matter's rules passed it already), and the
// applicant reads the deposit code off their application — the answer shaped as the apply route's
// used to be (application, parcel, site, compartment, deposit; a partner locker's dropOff; a
// refusal as it came, from the apply or from the pass). Tests of the apply route itself call it raw.
import { signIn, type HubApi, type Json } from './http.js';

/** The staff member who passes pre-review in tests. */
export const PREREVIEW_STAFF = 'hall.staff';

const staffTokens = new WeakMap<HubApi, Promise<string>>();

async function asStaff(api: HubApi, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  let token = staffTokens.get(api) ?? signIn(api, PREREVIEW_STAFF);
  staffTokens.set(api, token);
  let r = await api(method, path, await token, body);
  if (r.status === 401) {
    // The session ran out (a test moved the clock): sign in again.
    token = signIn(api, PREREVIEW_STAFF);
    staffTokens.set(api, token);
    r = await api(method, path, await token, body);
  }
  return r;
}

/**
 * Applies with `body` as the applicant `token` and, when the matter waits for pre-review, passes it as
 * staff; `{ status: 201, json }` with what the apply route answered before pre-review, or the refusal.
 */
export async function applyPassed(api: HubApi, token: string | undefined, body: Json): Promise<{ status: number; json: Json }> {
  const applied = await api('POST', '/api/applications', token, body);
  if (applied.status !== 201) return applied;
  const application = applied.json.application as Json;
  const id = application.id as string;
  let started = applied.json.passed as Json | null;
  if (application.prereview === 'pending') {
    const passed = await asStaff(api, 'POST', `/api/prereview/${id}/pass`, {});
    if (passed.status !== 200) return passed;
    started = passed.json.dropOff as Json | null;
  }
  const { id: _id, prereview: _p, ...app } = application;
  const answer: Json = { application: { id, ...app } };
  const channel = (applied.json.dropOff as Json).channel as string;
  if (channel === 'none' || channel === 'counter' || channel === 'courier_pickup') {
    return { status: 201, json: { ...answer, returnChannel: applied.json.returnChannel } };
  }
  const view = await api('GET', `/api/applications/${id}`, token);
  if (view.status !== 200) return view;
  const mine = view.json.application as Json;
  Object.assign(answer, { parcel: started?.parcel, site: started?.site });
  if (channel === 'partner_locker') return { status: 201, json: { ...answer, dropOff: mine.dropOff } };
  if (!mine.deposit) throw new Error(`application ${id} passed but shows no deposit code: ${JSON.stringify(mine)}`);
  return {
    status: 201,
    json: {
      ...answer,
      compartment: started?.compartment,
      deposit: mine.deposit,
      // asked for an accessible compartment: whether the one reserved is (ADR 0033)
      ...(started?.accessible !== undefined && { accessible: started.accessible }),
    },
  };
}
