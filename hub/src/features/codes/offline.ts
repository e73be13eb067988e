// Offline codes, the hub's half (ADR 0008). A kiosk pulls its site's live codes as offline hashes
// under the site's own key, so it can judge a code while the hub is out of reach; a pull after the
// first sends only what changed since the kiosk's cursor. When the kiosk's journal is replayed, a
// code it accepted on its own is marked used here, once, with its custody event; a clash with what
// the hub knew (used meanwhile, revoked, expired) is recorded as custody evidence, never dropped.
import type { Logger } from 'pino';
import type { CodeSyncReply, KioskEvent, OfflineCode } from '@xinbao/protocol';
import { judgeCode, siteOfflineKey } from '../../domain/access-codes.js';
import { moveOnCodeUse } from '../../domain/door-closed.js';
import { resultOrderInHand } from '../results/service.js';
import { withSnapshot, type Db, type Tx } from '../../store/db.js';
import { appendCustody, lockParcel, moveParcel, type Actor } from '../../store/parcels.js';
import type { CodeKeys } from './service.js';
import { codesForSync, lockCodeForOfflineUse, markCodeUsedOffline, rebindCommandOffline, siteCodeVersion } from './store.js';

/**
 * The site's live codes (cursor null, or a cursor the hub never handed out, e.g. after a restore
 * from backup), or what changed after `cursor`. Read in one snapshot, so the cursor it answers with
 * covers exactly the rows it sends.
 */
export async function codeSync(db: Db, keys: CodeKeys, siteId: string, cursor: number | null, now: Date): Promise<CodeSyncReply> {
  const { version, full, rows } = await withSnapshot(db, async (snap) => {
    const version = await siteCodeVersion(snap, siteId);
    const full = cursor === null || cursor > version;
    return { version, full, rows: await codesForSync(snap, siteId, now, full ? null : cursor) };
  });
  const codes: OfflineCode[] = [];
  const removed: string[] = [];
  for (const r of rows) {
    if (!r.live) {
      removed.push(r.codeId);
      continue;
    }
    codes.push({
      codeId: r.codeId,
      // A code with a second factor goes to the kiosks as the hash of the pair only (ADR 0018): a book
      // taken from a kiosk holds no hash of a code alone, and no phone digits.
      offlineHash: r.offlineHash && !r.offlineKeypadHash ? r.offlineHash.toString('base64') : null,
      keypadHash: r.offlineKeypadHash ? r.offlineKeypadHash.toString('base64') : null,
      compartment: r.compartment,
      purpose: r.purpose,
      trackingNumber: r.trackingNumber,
      validFrom: r.validFrom.toISOString(),
      expiresAt: r.expiresAt.toISOString(),
    });
  }
  return {
    siteId,
    cursor: version,
    full,
    codes,
    removed,
    offlineKey: siteOfflineKey(keys.offlineKey, siteId).toString('base64'),
    qrPublicKey: keys.qrPublicKey.export({ type: 'spki', format: 'pem' }).toString(),
    serverTime: now.toISOString(),
  };
}

export type OfflineUseEvent = Extract<KioskEvent, { type: 'code_used_offline' }>;

export type OfflineUseOutcome = 'used' | 'conflict' | 'already_applied' | 'unknown_code';

/**
 * Applies a kiosk's offline use of a code, in the caller's transaction (the one that stores the
 * event by its id, so a replay never gets here twice). The door already opened: the code is spent
 * from now on whatever the hub thought of it, and the door cycle that follows is accounted for as
 * any other.
 */
export async function applyOfflineUse(
  tx: Tx,
  kiosk: { siteId: string; deviceId: string },
  event: OfflineUseEvent,
  log: Logger,
): Promise<OfflineUseOutcome> {
  const code = await lockCodeForOfflineUse(tx, event.codeId, kiosk.siteId);
  if (!code) {
    // Only a kiosk of the code's own site can name it; anything else is kept in kiosk_events only.
    log.warn({ deviceId: kiosk.deviceId, eventId: event.eventId }, 'offline use of a code this site does not have');
    return 'unknown_code';
  }
  if (code.commandId === event.commandId) return 'already_applied';
  const at = new Date(event.at);
  let parcel = await lockParcel(tx, code.parcelId);
  if (code.purpose === 'courier_deliver' && code.usedAt === null) parcel = await resultOrderInHand(tx, parcel, at);
  const holder: Actor['kind'] = code.purpose.startsWith('courier') ? 'courier' : 'applicant';
  const ctx = { at, siteId: kiosk.siteId, compartment: event.compartment };
  // judged by the kiosk from its book: with the hub out of reach (offline) or, book first, with it there (ADR 0030)
  const evidence = {
    deviceId: kiosk.deviceId,
    via: event.via,
    commandId: event.commandId,
    eventId: event.eventId,
    offline: event.bookFirst !== true,
    ...(event.bookFirst && { bookFirst: true }),
  };

  if (code.usedAt === null) {
    const verdict = judgeCode(code, at);
    await markCodeUsedOffline(tx, code.id, { at, deviceId: kiosk.deviceId, commandId: event.commandId });
    if (verdict !== 'usable')
      log.warn({ codeId: code.id, deviceId: kiosk.deviceId, verdict }, 'a kiosk accepted offline a code the hub would have refused');
    const use = {
      ...ctx,
      actor: { kind: holder, id: null },
      evidence: verdict === 'usable' ? evidence : { ...evidence, conflict: verdict },
    };
    // The courier's deliver code put the result out for delivery, online or not.
    const move = moveOnCodeUse(code.purpose, parcel.state);
    if (move) await moveParcel(tx, parcel, move, use);
    else await appendCustody(tx, parcel, `${code.purpose}_code_used`, parcel.state, parcel.state, use);
    return verdict === 'usable' ? 'used' : 'conflict';
  }

  // Spent before the replay arrived. If this very kiosk spent it online and the door cycle is still
  // open, the hub's grant never reached it (the answer was lost, it timed out and let the holder in
  // offline): its own command is the one that ran, so door events are matched to that one.
  const lostGrant = code.usedByDevice === kiosk.deviceId && code.resolvedAt === null;
  if (lostGrant) await rebindCommandOffline(tx, code.id, event.commandId);
  log.warn({ codeId: code.id, deviceId: kiosk.deviceId, lostGrant }, 'a kiosk used offline a code that was already used');
  await appendCustody(tx, parcel, 'offline_code_conflict', parcel.state, parcel.state, {
    ...ctx,
    actor: { kind: 'kiosk', id: kiosk.deviceId },
    evidence: {
      ...evidence,
      codeId: code.id,
      conflict: lostGrant ? 'granted_online_unanswered' : 'already_used',
      priorCommandId: code.commandId,
      priorDevice: code.usedByDevice,
      priorUsedAt: code.usedAt.toISOString(),
    },
  });
  return 'conflict';
}
