// Parcels put where a test needs them: an applicant applies through the hub's API (own kiosk), then
// the parcel is walked along its journey with the hub's own moveParcel (each move with its custody
// event), as the kiosk and the courier would have moved it.
import { withTransaction } from '@xinbao/hub/store/db';
import { lockParcel, moveParcel, type Parcel } from '@xinbao/hub/store/parcels';
import { signIn, type Json } from './http.js';
import type { TestHub } from './hub.js';
import { applyPassed } from './apply.js';

type ParcelMove = Parameters<typeof moveParcel>[2];

/** The moves from a fresh own-kiosk parcel (awaiting_deposit) to each inbound state a test wants. */
const WALK: Record<
  'awaiting_deposit' | 'deposited' | 'pickup_ordered' | 'picked_up' | 'received_at_hall' | 'deposit_expired',
  ParcelMove[]
> = {
  awaiting_deposit: [],
  deposited: ['deposited'],
  pickup_ordered: ['deposited', 'pickup_ordered'],
  picked_up: ['deposited', 'pickup_ordered', 'picked_up'],
  received_at_hall: ['deposited', 'pickup_ordered', 'picked_up', 'received_at_hall'],
  deposit_expired: ['deposit_expired'],
};

export interface TestParcel {
  id: string;
  trackingNumber: string;
  applicationId: string;
}

export async function parcelIn(hub: TestHub, state: keyof typeof WALK, applicant = 'zhang.san', site = 'own-hall'): Promise<TestParcel> {
  const token = await signIn(hub.api, applicant);
  const sites = (await hub.api('GET', '/api/sites', token)).json.sites as Json[];
  const siteId = sites.find((s) => s.code === site)?.id as string;
  const created = await applyPassed(hub.api, token, {
    matterCode: 'business-licence-change',
    dropOff: { channel: 'own_kiosk', siteId },
  });
  if (created.status !== 201) throw new Error(`could not apply: ${JSON.stringify(created.json)}`);
  const p = created.json.parcel as Json;
  await withTransaction(hub.db.pool, async (tx) => {
    let parcel: Parcel = await lockParcel(tx, p.id as string);
    for (const move of WALK[state]) {
      const actor =
        move === 'picked_up' ? 'courier' : move === 'received_at_hall' ? 'staff' : move === 'deposited' ? 'applicant' : 'system';
      parcel = await moveParcel(tx, parcel, move, { actor: { kind: actor, id: null }, at: new Date() });
    }
  });
  return { id: p.id as string, trackingNumber: p.trackingNumber as string, applicationId: created.json.application.id as string };
}
