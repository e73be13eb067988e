// What the hub does with a kiosk: proves who it is, redeems the codes typed or scanned at it
// (attempt-limited per device), hands it its site's codes for offline use, and turns its door
// events (and the codes it accepted offline) into parcel moves. Each event is stored once by its id
// in the same transaction as what it causes, so a replay changes nothing.
import { createPublicKey, verify } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  CodeReassign,
  CodeSubmit,
  CodeSyncRequest,
  HANDSHAKE_MAX_SKEW_MS,
  handshakeMessage,
  KIOSK_PROTOCOL_VERSIONS,
  KioskEvent,
  KioskHandshake,
  fail,
  ok,
  type CodeGrant,
  type CodeSyncReply,
  type Reply,
} from '@xinbao/protocol';
import type { Logger } from 'pino';
import { HubError } from '../../errors.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import { appendCustody, lockParcel, moveParcel, type Actor } from '../../store/parcels.js';
import { CodeRefused, redeemCode, type CodeKeys } from '../codes/service.js';
import { reassignCompartment } from './reassign.js';
import { applyOfflineUse, codeSync } from '../codes/offline.js';

export interface KioskIdentity {
  deviceId: string;
  siteId: string;
  protocolVersion: number;
}

export interface KioskServiceDeps {
  db: Db;
  redis: Redis;
  keys: CodeKeys;
  log: Logger;
  now: () => Date;
  maxFailures: number;
  failureWindowSeconds: number;
  /** Called after a deposit is committed: orders the courier pickup. */
  onDeposited: (parcelId: string) => Promise<void>;
}

export class HandshakeRefused extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export class KioskService {
  constructor(private readonly deps: KioskServiceDeps) {}

  async authenticate(auth: unknown): Promise<KioskIdentity> {
    const h = KioskHandshake.safeParse(auth);
    if (!h.success) throw new HandshakeRefused('bad_handshake', 'the kiosk handshake is malformed');
    const { deviceId, ts, nonce, versions, signature } = h.data;
    if (Math.abs(this.deps.now().getTime() - ts) > HANDSHAKE_MAX_SKEW_MS) {
      throw new HandshakeRefused('clock_skew', 'the kiosk clock is too far from the hub clock');
    }
    const device = (
      await this.deps.db.query<{ siteId: string; publicKey: string }>(
        'SELECT site_id AS "siteId", public_key AS "publicKey" FROM kiosk_devices WHERE id = $1',
        [deviceId],
      )
    ).rows[0];
    const signed =
      device !== undefined &&
      verify(null, Buffer.from(handshakeMessage(h.data)), createPublicKey(device.publicKey), Buffer.from(signature, 'base64'));
    if (!device || !signed) throw new HandshakeRefused('bad_credentials', 'unknown device or bad signature');
    // A captured handshake cannot be replayed: each nonce is accepted once while its time stamp is fresh.
    const fresh = await this.deps.redis.set(`kiosk-nonce:${deviceId}:${nonce}`, '1', 'PX', HANDSHAKE_MAX_SKEW_MS * 2, 'NX');
    if (fresh !== 'OK') throw new HandshakeRefused('replayed', 'this handshake was already used');
    const common = versions.filter((v) => (KIOSK_PROTOCOL_VERSIONS as readonly number[]).includes(v));
    if (common.length === 0) {
      throw new HandshakeRefused('unsupported_version', `the hub speaks protocol versions ${KIOSK_PROTOCOL_VERSIONS.join(', ')}`);
    }
    return { deviceId, siteId: device.siteId, protocolVersion: Math.max(...common) };
  }

  async setOnline(kiosk: KioskIdentity, online: boolean): Promise<void> {
    await this.deps.db.query('UPDATE sites SET online = $2 WHERE id = $1', [kiosk.siteId, online]);
    await this.deps.db.query('UPDATE kiosk_devices SET last_seen_at = $2 WHERE id = $1', [kiosk.deviceId, this.deps.now()]);
  }

  private failKey(kiosk: KioskIdentity) {
    return `code-failures:${kiosk.deviceId}`;
  }

  async submitCode(kiosk: KioskIdentity, input: unknown): Promise<Reply<CodeGrant>> {
    const req = CodeSubmit.safeParse(input);
    if (!req.success) return fail('bad_request', 'malformed code submission');
    const failures = Number((await this.deps.redis.get(this.failKey(kiosk))) ?? 0);
    if (failures >= this.deps.maxFailures) {
      return fail('locked_out', 'too many wrong codes at this locker; please wait a few minutes and try again');
    }
    const now = this.deps.now();
    try {
      const redeemed = await withTransaction(this.deps.db, async (tx) => {
        const r = await redeemCode(tx, this.deps.keys, { ...req.data, siteId: kiosk.siteId, deviceId: kiosk.deviceId, now });
        if (!r.repeated) {
          const parcel = await lockParcel(tx, r.parcelId);
          const holder: Actor['kind'] = r.grant.purpose.startsWith('courier') ? 'courier' : 'applicant';
          await appendCustody(tx, parcel, `${r.grant.purpose}_code_used`, parcel.state, parcel.state, {
            actor: { kind: holder, id: null },
            at: now,
            siteId: kiosk.siteId,
            compartment: r.grant.compartment,
            evidence: { deviceId: kiosk.deviceId, via: req.data.via, commandId: r.grant.commandId },
          });
        }
        return r;
      });
      return ok(redeemed.grant);
    } catch (e) {
      if (e instanceof CodeRefused) {
        await this.deps.redis
          .multi()
          .incr(this.failKey(kiosk))
          .expire(this.failKey(kiosk), this.deps.failureWindowSeconds, 'NX')
          .exec();
        this.deps.log.info({ deviceId: kiosk.deviceId, refusal: e.refusal }, 'code refused');
        return fail(e.refusal, e.message);
      }
      throw e;
    }
  }

  /** Another compartment for a deposit whose door jammed (see reassign.ts). */
  async reassign(kiosk: KioskIdentity, input: unknown): Promise<Reply<CodeGrant>> {
    const req = CodeReassign.safeParse(input);
    if (!req.success) return fail('bad_request', 'malformed reassign request');
    const reply = await reassignCompartment(this.deps.db, kiosk, req.data, this.deps.now());
    if (reply.status === 'error') this.deps.log.info({ deviceId: kiosk.deviceId, refusal: reply.error.code }, 'reassign refused');
    return reply;
  }

  /** The kiosk's own site's live codes, or what changed since its cursor (ADR 0008). */
  async syncCodes(kiosk: KioskIdentity, input: unknown): Promise<Reply<CodeSyncReply>> {
    const req = CodeSyncRequest.safeParse(input);
    if (!req.success) return fail('bad_request', 'malformed code sync request');
    return ok(await codeSync(this.deps.db, this.deps.keys, kiosk.siteId, req.data.cursor, this.deps.now()));
  }

  async recordEvent(kiosk: KioskIdentity, input: unknown): Promise<Reply<{ eventId: string; duplicate: boolean }>> {
    const parsed = KioskEvent.safeParse(input);
    if (!parsed.success) return fail('bad_request', 'malformed kiosk event');
    const event = parsed.data;
    let deposited: string | null = null;
    try {
      const duplicate = await withTransaction(this.deps.db, async (tx) => {
        const ins = await tx.query(
          `INSERT INTO kiosk_events (event_id, device_id, type, compartment, at, payload)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING`,
          [event.eventId, kiosk.deviceId, event.type, event.compartment, event.at, JSON.stringify(event)],
        );
        if (ins.rowCount === 0) return true;
        deposited = await this.applyEvent(tx, kiosk, event);
        return false;
      });
      if (deposited) await this.deps.onDeposited(deposited);
      return ok({ eventId: event.eventId, duplicate });
    } catch (e) {
      if (e instanceof HubError) return fail(e.code, e.message);
      throw e;
    }
  }

  /** Returns the id of a parcel this event deposited, if any. */
  private async applyEvent(tx: Tx, kiosk: KioskIdentity, event: KioskEvent): Promise<string | null> {
    const compartment = (
      await tx.query<{ id: string }>('SELECT id FROM compartments WHERE site_id = $1 AND number = $2', [
        kiosk.siteId,
        event.compartment,
      ])
    ).rows[0];
    if (!compartment) {
      this.deps.log.warn({ deviceId: kiosk.deviceId, compartment: event.compartment }, 'event for an unknown compartment');
      return null;
    }
    const at = new Date(event.at);
    const where = { siteId: kiosk.siteId, compartment: event.compartment };
    switch (event.type) {
      case 'code_used_offline':
        await applyOfflineUse(tx, kiosk, event, this.deps.log);
        return null;
      case 'door_closed':
        return this.closeDoorCycle(tx, kiosk, compartment.id, event.itemPresent, event.eventId, at);
      case 'unlock_result': {
        if (event.outcome === 'opened') return null;
        const code = (
          await tx.query<{ id: string; parcelId: string }>(
            'SELECT id, parcel_id AS "parcelId" FROM access_codes WHERE command_id = $1 FOR UPDATE',
            [event.commandId],
          )
        ).rows[0];
        if (!code) return null;
        await tx.query('UPDATE access_codes SET resolved_at = $2 WHERE id = $1', [code.id, at]);
        if (event.outcome === 'jammed') {
          await tx.query(`UPDATE compartments SET state = 'faulty', updated_at = $2 WHERE id = $1`, [compartment.id, at]);
        }
        const parcel = await lockParcel(tx, code.parcelId);
        await appendCustody(tx, parcel, `unlock_${event.outcome}`, parcel.state, parcel.state, {
          actor: { kind: 'kiosk', id: kiosk.deviceId },
          at,
          ...where,
          evidence: { commandId: event.commandId, detail: event.detail ?? null, eventId: event.eventId },
        });
        return null;
      }
      case 'fault': {
        if (event.fault === 'jammed') {
          await tx.query(`UPDATE compartments SET state = 'faulty', updated_at = $2 WHERE id = $1`, [compartment.id, at]);
        }
        const inside = await tx.query<{ id: string }>(
          `SELECT id FROM parcels WHERE compartment_id = $1 AND state IN ('awaiting_deposit', 'deposited', 'pickup_ordered')`,
          [compartment.id],
        );
        for (const p of inside.rows) {
          const parcel = await lockParcel(tx, p.id);
          await appendCustody(tx, parcel, `alarm_${event.fault}`, parcel.state, parcel.state, {
            actor: { kind: 'kiosk', id: kiosk.deviceId },
            at,
            ...where,
            evidence: { detail: event.detail ?? null, eventId: event.eventId },
          });
        }
        return null;
      }
      case 'door_opened':
      case 'item_changed':
        return null;
    }
  }

  /** A door closed after a code opened it: account for what the code was for. */
  private async closeDoorCycle(
    tx: Tx,
    kiosk: KioskIdentity,
    compartmentId: string,
    itemPresent: boolean | null,
    eventId: string,
    at: Date,
  ): Promise<string | null> {
    const code = (
      await tx.query<{ id: string; purpose: string; parcelId: string; number: number }>(
        `SELECT c.id, c.purpose, c.parcel_id AS "parcelId", k.number FROM access_codes c JOIN compartments k ON k.id = c.compartment_id
         WHERE c.compartment_id = $1 AND c.used_at IS NOT NULL AND c.resolved_at IS NULL
         ORDER BY c.used_at DESC LIMIT 1 FOR UPDATE OF c`,
        [compartmentId],
      )
    ).rows[0];
    if (!code) return null;
    await tx.query('UPDATE access_codes SET resolved_at = $2 WHERE id = $1', [code.id, at]);
    const parcel = await lockParcel(tx, code.parcelId);
    const ctx = {
      at,
      siteId: kiosk.siteId,
      compartment: code.number,
      evidence: { deviceId: kiosk.deviceId, eventId, itemSensor: itemPresent === null ? 'none' : itemPresent ? 'present' : 'absent' },
    };
    if (code.purpose === 'deposit' && parcel.state === 'awaiting_deposit') {
      if (itemPresent === false) {
        await appendCustody(tx, parcel, 'door_closed_empty', parcel.state, parcel.state, { ...ctx, actor: { kind: 'applicant', id: null } });
        return null;
      }
      await moveParcel(tx, parcel, 'deposited', { ...ctx, actor: { kind: 'applicant', id: null } });
      await tx.query(`UPDATE compartments SET state = 'occupied', updated_at = $2 WHERE id = $1`, [compartmentId, at]);
      return parcel.id;
    }
    if (code.purpose === 'courier_pickup' && parcel.state === 'pickup_ordered') {
      if (itemPresent === true) {
        await appendCustody(tx, parcel, 'door_closed_item_left', parcel.state, parcel.state, { ...ctx, actor: { kind: 'courier', id: null } });
        return null;
      }
      await moveParcel(tx, parcel, 'picked_up', { ...ctx, actor: { kind: 'courier', id: null } });
      await tx.query('UPDATE parcels SET compartment_id = NULL WHERE id = $1', [parcel.id]);
      await tx.query(`UPDATE compartments SET state = 'free', updated_at = $2 WHERE id = $1`, [compartmentId, at]);
      await tx.query(`UPDATE courier_orders SET status = 'done', updated_at = $2 WHERE parcel_id = $1 AND kind = 'pickup'`, [parcel.id, at]);
      return null;
    }
    if (code.purpose === 'collect' && parcel.state === 'in_locker') {
      if (itemPresent === true) {
        await appendCustody(tx, parcel, 'door_closed_item_left', parcel.state, parcel.state, { ...ctx, actor: { kind: 'applicant', id: null } });
        return null;
      }
      await moveParcel(tx, parcel, 'collected', { ...ctx, actor: { kind: 'applicant', id: null } });
      await tx.query('UPDATE parcels SET compartment_id = NULL WHERE id = $1', [parcel.id]);
      await tx.query(`UPDATE compartments SET state = 'free', updated_at = $2 WHERE id = $1`, [compartmentId, at]);
      return null;
    }
    await appendCustody(tx, parcel, 'door_cycle_unmatched', parcel.state, parcel.state, { ...ctx, actor: { kind: 'kiosk', id: kiosk.deviceId } });
    return null;
  }
}
