// Offline codes, the hub's half (ADR 0008). A kiosk pulls its site's live codes as offline hashes
// under the site's own key, so it can judge a code while the hub is out of reach; a pull after the
// first sends only what changed since the kiosk's cursor. When the kiosk's journal is replayed, a
// code it accepted on its own is marked used here, once, with its custody event; a clash with what
// the hub knew (used meanwhile, revoked, expired) is recorded as custody evidence, never dropped.
import type { Logger } from 'pino';
import type { CodePurpose, CodeSyncReply, KioskEvent, OfflineCode } from '@xinbao/protocol';
import { judgeCode, siteOfflineKey } from '../../domain/access-codes.js';
import type { Db, Tx } from '../../store/db.js';
import { appendCustody, lockParcel, type Actor } from '../../store/parcels.js';
import type { CodeKeys } from './service.js';

interface SyncRow {
  codeId: string;
  offlineHash: Buffer | null;
  compartment: number;
  purpose: CodePurpose;
  trackingNumber: string;
  validFrom: Date;
  expiresAt: Date;
  live: boolean;
}

/**
 * The site's live codes (cursor null, or a cursor the hub never handed out, e.g. after a restore
 * from backup), or what changed after `cursor`. Read in one snapshot, so the cursor it answers with
 * covers exactly the rows it sends.
 */
export async function codeSync(db: Db, keys: CodeKeys, siteId: string, cursor: number | null, now: Date): Promise<CodeSyncReply> {
  const client = await db.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const v = await client.query<{ version: string }>('SELECT version FROM site_code_versions WHERE site_id = $1', [siteId]);
    const version = Number(v.rows[0]?.version ?? 0);
    const full = cursor === null || cursor > version;
    const rows = await client.query<SyncRow>(
      `SELECT c.id AS "codeId", c.offline_hash AS "offlineHash", k.number AS compartment, c.purpose,
         p.tracking_number AS "trackingNumber", c.valid_from AS "validFrom", c.expires_at AS "expiresAt",
         (c.used_at IS NULL AND c.revoked_at IS NULL AND c.expires_at > $2) AS live
       FROM access_codes c JOIN compartments k ON k.id = c.compartment_id JOIN parcels p ON p.id = c.parcel_id
       WHERE c.site_id = $1 AND ${full ? 'c.used_at IS NULL AND c.revoked_at IS NULL AND c.expires_at > $2' : 'c.sync_version > $3'}
       ORDER BY c.sync_version`,
      full ? [siteId, now] : [siteId, now, cursor],
    );
    await client.query('COMMIT');
    const codes: OfflineCode[] = [];
    const removed: string[] = [];
    for (const r of rows.rows) {
      if (!r.live) {
        removed.push(r.codeId);
        continue;
      }
      codes.push({
        codeId: r.codeId,
        offlineHash: r.offlineHash ? r.offlineHash.toString('base64') : null,
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
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

export type OfflineUseEvent = Extract<KioskEvent, { type: 'code_used_offline' }>;

interface UsedCodeRow {
  id: string;
  purpose: CodePurpose;
  parcelId: string;
  compartment: number;
  validFrom: Date;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
  usedByDevice: string | null;
  commandId: string | null;
  resolvedAt: Date | null;
}

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
  const code = (
    await tx.query<UsedCodeRow>(
      `SELECT c.id, c.purpose, c.parcel_id AS "parcelId", k.number AS compartment, c.valid_from AS "validFrom",
         c.expires_at AS "expiresAt", c.used_at AS "usedAt", c.revoked_at AS "revokedAt", c.used_by_device AS "usedByDevice",
         c.command_id AS "commandId", c.resolved_at AS "resolvedAt"
       FROM access_codes c JOIN compartments k ON k.id = c.compartment_id
       WHERE c.id = $1 AND c.site_id = $2 FOR UPDATE OF c`,
      [event.codeId, kiosk.siteId],
    )
  ).rows[0];
  if (!code) {
    // Only a kiosk of the code's own site can name it; anything else is kept in kiosk_events only.
    log.warn({ deviceId: kiosk.deviceId, eventId: event.eventId }, 'offline use of a code this site does not have');
    return 'unknown_code';
  }
  if (code.commandId === event.commandId) return 'already_applied';
  const at = new Date(event.at);
  const parcel = await lockParcel(tx, code.parcelId);
  const holder: Actor['kind'] = code.purpose.startsWith('courier') ? 'courier' : 'applicant';
  const ctx = { at, siteId: kiosk.siteId, compartment: event.compartment };
  const evidence = { deviceId: kiosk.deviceId, via: event.via, commandId: event.commandId, eventId: event.eventId, offline: true };

  if (code.usedAt === null) {
    const verdict = judgeCode(code, at);
    await tx.query('UPDATE access_codes SET used_at = $2, used_by_device = $3, command_id = $4, used_offline = true WHERE id = $1', [
      code.id,
      at,
      kiosk.deviceId,
      event.commandId,
    ]);
    if (verdict !== 'usable') log.warn({ codeId: code.id, deviceId: kiosk.deviceId, verdict }, 'a kiosk accepted offline a code the hub would have refused');
    await appendCustody(tx, parcel, `${code.purpose}_code_used`, parcel.state, parcel.state, {
      ...ctx,
      actor: { kind: holder, id: null },
      evidence: verdict === 'usable' ? evidence : { ...evidence, conflict: verdict },
    });
    return verdict === 'usable' ? 'used' : 'conflict';
  }

  // Spent before the replay arrived. If this very kiosk spent it online and the door cycle is still
  // open, the hub's grant never reached it (the answer was lost, it timed out and let the holder in
  // offline): its own command is the one that ran, so door events are matched to that one.
  const lostGrant = code.usedByDevice === kiosk.deviceId && code.resolvedAt === null;
  if (lostGrant) await tx.query('UPDATE access_codes SET command_id = $2, used_offline = true WHERE id = $1', [code.id, event.commandId]);
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
