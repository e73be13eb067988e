// What the hub does with a kiosk: proves who it is, redeems the codes typed or scanned at it
// (keypad attempts slowed per device and per site, ADR 0015), hands it its site's codes for offline
// use, and turns its door events (and the codes it accepted offline) into parcel moves, its unlock
// outcomes into what they do to the code (service-unlock.ts, ADR 0014) and its faults and bus
// reports into alarms (service-alarms.ts). Each event is stored once by its id in the same
// transaction as what it causes, so a replay changes nothing.
import { createPublicKey, verify } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  CodeNext,
  CodeReassign,
  CodeSubmit,
  CodeSyncRequest,
  HANDSHAKE_MAX_SKEW_MS,
  handshakeMessage,
  KIOSK_PROTOCOL_VERSIONS,
  KioskEvent,
  KioskHandshake,
  BusReport,
  isBoardFault,
  type BoardFaultEvent,
  fail,
  ok,
  type CodeGrant,
  type CodeNextReply,
  type CodeSyncReply,
  type Reply,
} from '@xinbao/protocol';
import type { Logger } from 'pino';
import { HubError } from '../../errors.js';
import { decideDoorClosed, moveOnCodeUse } from '../../domain/door-closed.js';
import { exceptionSubject } from '../../domain/exceptions.js';
import { openException } from '../../store/exceptions.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import type { UnlockState } from '../../domain/unlock-outcome.js';
import { findCompartmentByNumber, lockCompartmentState, setCompartmentState } from '../../store/compartments.js';
import { appendCustody, lockParcel, moveParcel, setParcelCompartment, type Actor } from '../../store/parcels.js';
import { KeypadAttempts, type KeypadLimits } from '../codes/attempts.js';
import { CodeRefused, redeemCode, type CodeKeys } from '../codes/service.js';
import { lockOpenDoorCycle, resolveDoorCycle, revokeOtherLiveCodes } from '../codes/store.js';
import { delegateOfCode } from '../collect/store.js';
import { maskName } from '../../domain/masking.js';
import { markPickupDone } from '../courier/store.js';
import { grantFirstVisitDoor, grantNextVisitDoor, openVisitDoorOf, settleClosedVisitDoor, visitOfCode } from '../courier/visits.js';
import { findDevice, insertKioskEvent } from './store.js';
import { boardSubject, clearAlarm, compartmentSubject, raiseAlarmWithCustody, recordBusReport } from './service-alarms.js';
import { applyUnlockReport } from './service-unlock.js';
import { reassignCompartment } from './reassign.js';
import { resultOrderInHand } from '../results/service.js';
import { applyOfflineUse, codeSync } from '../codes/offline.js';
import { recordNotice } from '../notifications/store.js';

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
  /** the keypad attempt limit per device and per site (ADR 0015) */
  keypadLimits: KeypadLimits;
  /** How often, at most, a repeating alarm is written to the custody log (default 15 minutes). */
  alarmCustodyEveryMs?: number;
  /** Called after a deposit is committed: orders the courier pickup. */
  onDeposited: (parcelId: string) => Promise<void>;
  /**
   * Called in the door's transaction when a result went into its locker or was taken back to the
   * hall (the results slice: the collection code, the holding period, what comes next).
   */
  onResultDoor?: (tx: Tx, parcelId: string, move: 'in_locker' | 'returning', at: Date) => Promise<void>;
}

export class HandshakeRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A keypad attempt that came before its wait was over: not looked at, not counted. */
function slowed(waitMs: number): Reply<never> {
  const s = Math.ceil(waitMs / 1000);
  return fail('keypad_slowed', `too many wrong codes at this locker lately; please wait ${s} s and try again`, { retryAfterMs: waitMs });
}

export class KioskService {
  private readonly attempts: KeypadAttempts;

  constructor(private readonly deps: KioskServiceDeps) {
    this.attempts = new KeypadAttempts({ db: deps.db, redis: deps.redis, log: deps.log, limits: deps.keypadLimits });
  }

  async authenticate(auth: unknown): Promise<KioskIdentity> {
    const h = KioskHandshake.safeParse(auth);
    if (!h.success) throw new HandshakeRefused('bad_handshake', 'the kiosk handshake is malformed');
    const { deviceId, ts, nonce, versions, signature } = h.data;
    if (Math.abs(this.deps.now().getTime() - ts) > HANDSHAKE_MAX_SKEW_MS) {
      throw new HandshakeRefused('clock_skew', 'the kiosk clock is too far from the hub clock');
    }
    const device = await findDevice(this.deps.db, deviceId);
    const signed =
      device !== null &&
      verify(null, Buffer.from(handshakeMessage(h.data)), createPublicKey(device.publicKey), Buffer.from(signature, 'base64'));
    if (!device || !signed) throw new HandshakeRefused('bad_credentials', 'unknown device or bad signature');
    // Said only to the holder of the device's key: an operator took this kiosk out of service.
    if (device.deactivated) throw new HandshakeRefused('device_deactivated', 'this kiosk device was deactivated by an operator');
    // A captured handshake cannot be replayed: each nonce is accepted once while its time stamp is fresh.
    const fresh = await this.deps.redis.set(`kiosk-nonce:${deviceId}:${nonce}`, '1', 'PX', HANDSHAKE_MAX_SKEW_MS * 2, 'NX');
    if (fresh !== 'OK') throw new HandshakeRefused('replayed', 'this handshake was already used');
    const common = versions.filter((v) => (KIOSK_PROTOCOL_VERSIONS as readonly number[]).includes(v));
    if (common.length === 0) {
      throw new HandshakeRefused('unsupported_version', `the hub speaks protocol versions ${KIOSK_PROTOCOL_VERSIONS.join(', ')}`);
    }
    return { deviceId, siteId: device.siteId, protocolVersion: Math.max(...common) };
  }

  async submitCode(kiosk: KioskIdentity, input: unknown): Promise<Reply<CodeGrant>> {
    const req = CodeSubmit.safeParse(input);
    if (!req.success) return fail('bad_request', 'malformed code submission');
    const now = this.deps.now();
    const where = { deviceId: kiosk.deviceId, siteId: kiosk.siteId };
    // A signed QR code is never slowed and never counted (ADR 0015); keypad codes are.
    const keypad = req.data.via === 'keypad';
    const turn = keypad ? await this.attempts.claim(where, now.getTime()) : null;
    if (turn && turn.waitMs > 0) {
      this.deps.log.info({ ...where, waitMs: turn.waitMs }, 'keypad attempt before its wait: not checked');
      return slowed(turn.waitMs);
    }
    try {
      const redeemed = await withTransaction(this.deps.db, async (tx) => {
        const r = await redeemCode(tx, this.deps.keys, { ...req.data, siteId: kiosk.siteId, deviceId: kiosk.deviceId, now });
        // A courier visit's code opens its doors one at a time (ADR 0023): this is its first door.
        const visitId = await visitOfCode(tx, r.codeId);
        if (visitId) {
          const grant = await grantFirstVisitDoor(tx, kiosk, {
            ...r,
            visitId,
            commandId: r.grant.commandId,
            requestId: req.data.requestId,
            via: req.data.via,
            now,
          });
          return { ...r, grant };
        }
        if (!r.repeated) {
          let parcel = await lockParcel(tx, r.parcelId);
          if (r.grant.purpose === 'courier_deliver') parcel = await resultOrderInHand(tx, parcel, now);
          const holder: Actor['kind'] = r.grant.purpose.startsWith('courier') ? 'courier' : 'applicant';
          const ctx = {
            actor: { kind: holder, id: null },
            at: now,
            siteId: kiosk.siteId,
            compartment: r.grant.compartment,
            evidence: { deviceId: kiosk.deviceId, via: req.data.via, commandId: r.grant.commandId },
          };
          // The courier's deliver code used at the kiosk: the result is out for delivery into it.
          const move = moveOnCodeUse(r.grant.purpose, parcel.state);
          if (move) await moveParcel(tx, parcel, move, ctx);
          else await appendCustody(tx, parcel, `${r.grant.purpose}_code_used`, parcel.state, parcel.state, ctx);
        }
        return r;
      });
      return ok(redeemed.grant);
    } catch (e) {
      if (e instanceof CodeRefused) {
        if (!keypad) {
          this.deps.log.info({ ...where, refusal: e.refusal, via: 'qr' }, 'qr code refused');
          return fail(e.refusal, e.message);
        }
        const counted = await this.attempts.failed(where, now.getTime(), e.refusal);
        return fail(e.refusal, e.message, counted.waitMs > 0 ? { retryAfterMs: counted.waitMs } : undefined);
      }
      throw e;
    } finally {
      await turn?.done();
    }
  }

  /** A courier visit's next door, after the one before it closed or did not open (ADR 0023). */
  async nextDoor(kiosk: KioskIdentity, input: unknown): Promise<Reply<CodeNextReply>> {
    const req = CodeNext.safeParse(input);
    if (!req.success) return fail('bad_request', 'malformed next-door request');
    const reply = await withTransaction(this.deps.db, (tx) => grantNextVisitDoor(tx, kiosk, req.data, this.deps.now()));
    if (reply.status === 'error') this.deps.log.info({ deviceId: kiosk.deviceId, refusal: reply.error.code }, 'next visit door refused');
    return reply;
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
        if (!(await insertKioskEvent(tx, kiosk.deviceId, event))) return true;
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
    const at = new Date(event.at);
    if (isBoardFault(event)) {
      await this.applyBoardFault(tx, kiosk, event, at);
      return null;
    }
    if (event.type === 'unlock_result' || event.type === 'unlock_answered') {
      const report: UnlockState = event.type === 'unlock_result' ? event.outcome : `answered_${event.answer}`;
      const detail = event.type === 'unlock_result' ? (event.detail ?? null) : null;
      await applyUnlockReport(tx, kiosk, { commandId: event.commandId, report, eventId: event.eventId, at, detail }, this.deps.log);
      return null;
    }
    const compartment = await findCompartmentByNumber(tx, kiosk.siteId, event.compartment);
    if (!compartment) {
      this.deps.log.warn({ deviceId: kiosk.deviceId, compartment: event.compartment }, 'event for an unknown compartment');
      return null;
    }
    switch (event.type) {
      case 'code_used_offline':
        await applyOfflineUse(tx, kiosk, event, this.deps.log);
        return null;
      case 'door_closed':
        // A closed door ends its being left or forced open.
        for (const kind of ['left_open', 'forced_open'] as const) {
          await clearAlarm(tx, kiosk.deviceId, kind, compartmentSubject(event.compartment), at);
        }
        return this.closeDoorCycle(tx, kiosk, compartment.id, event.itemPresent, event.eventId, at);
      case 'fault': {
        if (event.fault === 'jammed') await setCompartmentState(tx, compartment.id, 'fault', at);
        const alarm = {
          siteId: kiosk.siteId,
          deviceId: kiosk.deviceId,
          kind: event.fault,
          subject: compartmentSubject(event.compartment),
          compartment: event.compartment,
          detail: event.detail ?? null,
          at,
        };
        const door = {
          compartmentId: compartment.id,
          custodyKind: `alarm_${event.fault}`,
          evidence: { detail: event.detail ?? null, eventId: event.eventId },
        };
        await raiseAlarmWithCustody(tx, alarm, door, this.deps.alarmCustodyEveryMs);
        return null;
      }
      case 'door_opened':
      case 'item_changed':
        return null;
    }
  }

  /**
   * A board stopped answering (one open alarm per board, however many times it is reported, its
   * custody record rate-limited) or answers again (the alarm is cleared).
   */
  private async applyBoardFault(tx: Tx, kiosk: KioskIdentity, event: BoardFaultEvent, at: Date): Promise<void> {
    const subject = boardSubject(event.bus, event.board);
    if (event.fault === 'board_reachable') {
      await clearAlarm(tx, kiosk.deviceId, 'board_unreachable', subject, at);
      return;
    }
    const named = event.compartment === undefined ? null : await findCompartmentByNumber(tx, kiosk.siteId, event.compartment);
    const alarm = {
      siteId: kiosk.siteId,
      deviceId: kiosk.deviceId,
      kind: event.fault,
      subject,
      bus: event.bus,
      board: event.board,
      compartment: event.compartment ?? null,
      detail: event.detail ?? null,
      at,
    };
    const door = named && {
      compartmentId: named.id,
      custodyKind: 'alarm_board_unreachable',
      evidence: { bus: event.bus, board: event.board, detail: event.detail ?? null, eventId: event.eventId },
    };
    await raiseAlarmWithCustody(tx, alarm, door, this.deps.alarmCustodyEveryMs);
  }

  /** A kiosk's report of its lock-board buses (the latest per bus is kept). */
  async recordBusReport(kiosk: KioskIdentity, input: unknown): Promise<Reply<{ stored: boolean }>> {
    const parsed = BusReport.safeParse(input);
    if (!parsed.success) return fail('bad_request', 'malformed bus report');
    const stored = await recordBusReport(this.deps.db, kiosk, parsed.data, this.deps.now());
    for (const b of parsed.data.buses) {
      if (b.state !== 'up')
        this.deps.log.warn({ deviceId: kiosk.deviceId, bus: b.bus, state: b.state, lastError: b.lastError }, 'kiosk bus not up');
    }
    return ok({ stored });
  }

  /** A door closed after a code opened it: carries out what decideDoorClosed makes of it. */
  private async closeDoorCycle(
    tx: Tx,
    kiosk: KioskIdentity,
    compartmentId: string,
    itemPresent: boolean | null,
    eventId: string,
    at: Date,
  ): Promise<string | null> {
    const code = await lockOpenDoorCycle(tx, compartmentId);
    if (!code) return null;
    await resolveDoorCycle(tx, code.id, at);
    const parcel = await lockParcel(tx, code.parcelId);
    const ctx = {
      at,
      siteId: kiosk.siteId,
      compartment: code.number,
      evidence: { deviceId: kiosk.deviceId, eventId, itemSensor: itemPresent === null ? 'none' : itemPresent ? 'present' : 'absent' },
    };
    const compartmentState = await lockCompartmentState(tx, compartmentId);
    const visitDoor = code.purpose === 'courier_pickup' ? await openVisitDoorOf(tx, code.commandId) : null;
    const decision = decideDoorClosed({
      purpose: code.purpose,
      parcelState: parcel.state,
      itemPresent,
      compartmentState,
      ...(visitDoor && { itemAtGrant: visitDoor.itemAtGrant }),
    });
    if (visitDoor) await settleClosedVisitDoor(tx, visitDoor, decision, at);
    if (decision.kind === 'record') {
      const actor: Actor = { kind: decision.actor, id: decision.actor === 'kiosk' ? kiosk.deviceId : null };
      await appendCustody(tx, parcel, decision.custodyKind, parcel.state, parcel.state, { ...ctx, actor });
      return null;
    }
    // Collected with a delegate's code (委托代领, ADR 0033): the evidence says so, with the name masked.
    const delegate = decision.parcelMove === 'collected' ? await delegateOfCode(tx, code.id) : null;
    const evidence = delegate ? { ...ctx.evidence, by: 'delegate', name: maskName(delegate.name) } : ctx.evidence;
    await moveParcel(tx, parcel, decision.parcelMove, { ...ctx, evidence, actor: { kind: decision.actor, id: null } });
    // Either code collects the result; the other one (the applicant's or the delegate's) dies with it.
    if (decision.parcelMove === 'collected') await revokeOtherLiveCodes(tx, parcel.id, 'collect', code.id, at);
    if (decision.leavesCompartment) await setParcelCompartment(tx, parcel.id, null, at);
    if (decision.compartmentMove) await setCompartmentState(tx, compartmentId, decision.compartmentMove, at);
    if (decision.closesPickupOrder) await markPickupDone(tx, parcel.id, at);
    if (decision.parcelMove === 'deposited') await recordNotice(tx, { parcelId: parcel.id, kind: 'deposit_received', at });
    // Not there when the courier came: on the hall's exceptions list (ADR 0022), the visit goes on.
    if (decision.parcelMove === 'missing_at_pickup') {
      await openException(tx, {
        kind: 'missing_at_pickup',
        subject: exceptionSubject.parcel(parcel.id),
        parcelId: parcel.id,
        detail: { trackingNumber: parcel.trackingNumber, compartment: compartmentId, deviceId: kiosk.deviceId },
        at,
      });
    }
    if (decision.parcelMove === 'in_locker' || decision.parcelMove === 'returning')
      await this.deps.onResultDoor?.(tx, parcel.id, decision.parcelMove, at);
    return decision.parcelMove === 'deposited' ? parcel.id : null;
  }
}
