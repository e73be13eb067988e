// One visit, one code (ADR 0023): a courier's pickup visit at an own-kiosk site opens its doors one
// at a time with one code. The visit's code is one access_codes row that moves from door to door:
// the first door is granted when the code is typed or scanned (`code:submit`), each next one when
// the kiosk asks after the door before it closed (`code:next`). A door closing is judged by the
// kiosk service (decideDoorClosed, with the item sensor's word at the grant); this settles the door.
// Everything here runs in the caller's transaction.
import { v7 as uuidv7 } from 'uuid';
import { fail, ok, type CodeGrant, type CodeNext, type CodeNextReply, type Reply } from '@xinbao/protocol';
import type { DoorClosedDecision } from '../../domain/door-closed.js';
import type { Db, Tx } from '../../store/db.js';
import { appendCustody, lockParcel } from '../../store/parcels.js';
import { CodeRefused, signQr, type CodeKeys } from '../codes/service.js';
import type { OpenCodeCipher } from '../partner/open-code.js';
import { codeForQr, codeVisit, lockSpentCode, moveCodeToDoor } from '../codes/store.js';
import {
  finishVisit,
  lastItemReading,
  lockVisit,
  markVisitStarted,
  openVisitDoor,
  settleVisitDoor,
  unlockOutcomeOf,
  visitDoorByCommand,
  visitDoorByRequest,
  visitDoors,
  type DoorState,
  type VisitDoor,
} from './store.js';

export interface KioskAt {
  deviceId: string;
  siteId: string;
}

/** A door is ready to be opened when it waits and its parcel's pickup order is confirmed. */
const ready = (d: VisitDoor) => d.state === 'waiting' && d.parcelState === 'pickup_ordered';
/** The doors a visit opens, in order: those opened already and those still to open. */
const doorsOf = (doors: VisitDoor[]) => doors.filter((d) => d.state !== 'waiting' || ready(d)).map((d) => d.compartment);

function grantOf(door: VisitDoor, doors: VisitDoor[], commandId: string, codeId: string): CodeGrant {
  const list = doorsOf(doors);
  return {
    commandId,
    compartment: door.compartment,
    purpose: 'courier_pickup',
    trackingNumber: door.trackingNumber,
    codeId,
    visit: { visitId: door.visitId, position: list.indexOf(door.compartment) + 1, doors: list },
  };
}

/**
 * A visit's code sealed at rest with its second factor (the PIN that travels with it, ADR 0018), so
 * that each re-sent order and the PDA carry both; `code` or `code:pin`.
 */
export function sealVisitCode(cipher: OpenCodeCipher, visitId: string, code: string, pin: string | null): Buffer {
  return cipher.seal(visitId, pin ? `${code}:${pin}` : code);
}

export function openVisitCode(cipher: OpenCodeCipher, visitId: string, sealed: Buffer): { code: string; pin: string | null } | null {
  const opened = cipher.open(visitId, sealed);
  if (!opened) return null;
  const [code, pin] = opened.split(':');
  return { code: code!, pin: pin ?? null };
}

/** The visit code's QR form (a signed token the kiosk's scanner reads), made again from its row. */
export async function visitQr(db: Db | Tx, keys: CodeKeys, codeId: string): Promise<string> {
  const c = await codeForQr(db, codeId);
  if (!c) throw new Error(`no code ${codeId}`);
  return signQr(keys, { cid: codeId, sid: c.siteId, p: c.purpose, exp: Math.floor(c.expiresAt.getTime() / 1000) });
}

/** Whether a used code is a courier visit's; its visit id. */
export async function visitOfCode(tx: Tx, codeId: string): Promise<string | null> {
  return codeVisit(tx, codeId);
}

/**
 * The visit's code was just redeemed under `commandId`: its first ready door is the one it opens
 * (the code row moves there), the visit is under way, and the parcel's custody says so.
 * A repeated redeem (the same request, or the same code again at once) gets the door it opened.
 */
export async function grantFirstVisitDoor(
  tx: Tx,
  kiosk: KioskAt,
  r: { visitId: string; codeId: string; commandId: string; requestId: string; repeated: boolean; via: string; now: Date },
): Promise<CodeGrant> {
  await lockVisit(tx, r.visitId);
  const doors = await visitDoors(tx, r.visitId);
  if (r.repeated) {
    const open = doors.find((d) => d.commandId === r.commandId);
    if (open) return grantOf(open, doors, r.commandId, r.codeId);
  }
  const first = doors.find(ready);
  if (!first) throw new CodeRefused('code_invalid', 'this courier code has nothing left to collect here');
  await moveCodeToDoor(tx, r.codeId, {
    compartmentId: first.compartmentId,
    parcelId: first.parcelId,
    commandId: r.commandId,
    deviceId: kiosk.deviceId,
    at: r.now,
  });
  await openDoor(tx, kiosk, first, { ...r, position: 1 });
  await markVisitStarted(tx, r.visitId, r.now);
  return grantOf({ ...first, state: 'open', commandId: r.commandId }, await visitDoors(tx, r.visitId), r.commandId, r.codeId);
}

async function openDoor(
  tx: Tx,
  kiosk: KioskAt,
  door: VisitDoor,
  r: { commandId: string; requestId: string; via: string; now: Date; position: number },
): Promise<void> {
  const itemAtGrant = await lastItemReading(tx, kiosk.deviceId, door.compartment);
  await openVisitDoor(tx, {
    visitId: door.visitId,
    position: door.position,
    commandId: r.commandId,
    requestId: r.requestId,
    itemAtGrant,
    at: r.now,
  });
  const parcel = await lockParcel(tx, door.parcelId);
  await appendCustody(tx, parcel, 'courier_pickup_code_used', parcel.state, parcel.state, {
    actor: { kind: 'courier', id: null },
    at: r.now,
    siteId: kiosk.siteId,
    compartment: door.compartment,
    evidence: { deviceId: kiosk.deviceId, via: r.via, commandId: r.commandId, visitId: door.visitId, door: r.position },
  });
}

/** Outcomes after which a door did not open and will not: the visit goes on to its next door. */
const NOT_OPENED = new Set(['jammed', 'not_sent', 'failed', 'answered_not_opened']);

/**
 * The kiosk asks for the visit's next door after the door of `commandId` closed (or did not open).
 * The same request again gets the same grant; null when the visit has no door left (it is done).
 */
export async function grantNextVisitDoor(tx: Tx, kiosk: KioskAt, req: CodeNext, now: Date): Promise<Reply<CodeNextReply>> {
  const again = await visitDoorByRequest(tx, req.requestId);
  if (again?.commandId) {
    const visit = await lockVisit(tx, again.visitId);
    return ok({ grant: grantOf(again, await visitDoors(tx, again.visitId), again.commandId, visit!.codeId!) });
  }
  const before = await visitDoorByCommand(tx, req.commandId);
  if (!before) return fail('unknown_command', 'no courier visit door was opened under that command');
  const visit = await lockVisit(tx, before.visitId);
  if (!visit?.codeId || visit.siteId !== kiosk.siteId)
    return fail('unknown_command', 'no courier visit door was opened under that command');
  const code = await lockSpentCode(tx, visit.codeId);
  if (!code || code.revokedAt) return fail('visit_over', 'this courier visit is over');
  const doors = await visitDoors(tx, visit.id);
  const previous = doors.find((d) => d.position === before.position)!;
  if (previous.state === 'open') {
    const outcome = await unlockOutcomeOf(tx, req.commandId);
    if (outcome === null || !NOT_OPENED.has(outcome)) {
      return fail('door_open', `door ${previous.compartment} must be closed before the next one opens`);
    }
    // The door never opened: its parcel stays for staff to look at; the courier goes on.
    await settleVisitDoor(tx, visit.id, previous.position, 'not_opened', now);
    previous.state = 'not_opened';
  }
  // Only the kiosk that opened the visit's doors goes on with it.
  if (code.usedByDevice !== null && code.usedByDevice !== kiosk.deviceId) {
    return fail('unknown_command', 'this courier visit is under way at another kiosk');
  }
  const next = doors.find(ready);
  if (!next) {
    await finishVisit(tx, visit.id, 'done', now);
    return ok({ grant: null });
  }
  const commandId = uuidv7();
  await moveCodeToDoor(tx, visit.codeId, {
    compartmentId: next.compartmentId,
    parcelId: next.parcelId,
    commandId,
    deviceId: kiosk.deviceId,
    at: now,
  });
  const position = doorsOf(doors).indexOf(next.compartment) + 1;
  await openDoor(tx, kiosk, next, { commandId, requestId: req.requestId, via: 'visit_next', now, position });
  return ok({ grant: grantOf({ ...next, state: 'open', commandId }, await visitDoors(tx, visit.id), commandId, visit.codeId) });
}

/** The visit door a code's current command opened, if the code is a visit's. */
export async function openVisitDoorOf(tx: Tx, commandId: string | null): Promise<VisitDoor | null> {
  if (!commandId) return null;
  const door = await visitDoorByCommand(tx, commandId);
  return door?.state === 'open' ? door : null;
}

/** What a closed visit door became, by the kiosk's decision; the visit is done when no door is left. */
export async function settleClosedVisitDoor(tx: Tx, door: VisitDoor, decision: DoorClosedDecision, at: Date): Promise<void> {
  let state: Exclude<DoorState, 'waiting' | 'open'>;
  if (decision.kind === 'move') state = decision.parcelMove === 'missing_at_pickup' ? 'missing' : 'picked_up';
  else state = decision.custodyKind === 'door_closed_item_left' ? 'item_left' : 'not_opened';
  await settleVisitDoor(tx, door.visitId, door.position, state, at);
  const left = (await visitDoors(tx, door.visitId)).filter((d) => d.state === 'waiting' || d.state === 'open');
  if (left.length === 0) await finishVisit(tx, door.visitId, 'done', at);
}
