// The exceptions list and what staff do on one (ADR 0022). The list shows each exception with its
// parcel's custody trail (people's names masked) and every action taken on it. An action is judged
// first (domain/exceptions.ts), then carried out and recorded with who and when in the same
// transaction: `contact` records, `close` closes with its note, `retry` gives a failed courier pickup
// order back to the courier queue, `reassign` moves a jammed deposit to another compartment through
// the kiosk slice's reassignment and gives the applicant's code back so it opens the new door.
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { judgeExceptionAction, type ExceptionAction } from '../../domain/exceptions.js';
import { maskName } from '../../domain/masking.js';
import { Conflict, HubError, NotFound } from '../../errors.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import { insertExceptionAction } from '../../store/exceptions.js';
import { appendCustody, lockParcel } from '../../store/parcels.js';
import type { User } from '../auth/auth.js';
import { lockCodeByCommand, restoreCode } from '../codes/store.js';
import { reassignCompartment } from '../kiosk/reassign.js';
import { lastUnlockOutcome, priorReassignment } from '../kiosk/store.js';
import { actionsOf, closeException, custodyTrails, listExceptions, lockException, type LockedException, type TrailRow } from './store.js';

/** Gives a parcel's courier pickup order to the courier queue again; says what it did. */
export type PickupRetry = (parcelId: string) => Promise<'retried' | 'queued' | 'already_queued'>;

export interface ExceptionDeps {
  db: Db;
  now: () => Date;
  log: Logger;
  retryPickup: PickupRetry;
}

const PEOPLE = new Set(['applicant', 'courier', 'staff', 'admin']);

/** Who did a custody step, as a list may show it: a person by a masked name, a kiosk or partner by its id. */
function actorView(t: Pick<TrailRow, 'actorKind' | 'actorId' | 'actorName'>): { kind: string; name: string | null } {
  if (PEOPLE.has(t.actorKind)) return { kind: t.actorKind, name: maskName(t.actorName) };
  return { kind: t.actorKind, name: t.actorId };
}

/** One exception, open or closed, as the list shows it (with its parcel's custody trail). */
export async function exceptionOf(db: Db, id: string) {
  const [item] = (await exceptionList(db, { open: undefined, kind: undefined, limit: 1, id })).items;
  if (!item) throw new NotFound(`exception ${id}`);
  return item;
}

export async function exceptionList(db: Db, f: { open: boolean | undefined; kind: string | undefined; limit: number; id?: string }) {
  const rows = await listExceptions(db, f);
  const actions = await actionsOf(
    db,
    rows.map((r) => r.id),
  );
  const trails = await custodyTrails(db, [...new Set(rows.flatMap((r) => (r.parcelId ? [r.parcelId] : [])))]);
  return {
    items: rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      subject: r.subject,
      open: r.closedAt === null,
      parcel: r.parcelId ? { id: r.parcelId, trackingNumber: r.trackingNumber, state: r.parcelState } : null,
      applicationId: r.applicationId,
      site: r.siteId ? { id: r.siteId, code: r.siteCode, name: r.siteName } : null,
      detail: r.detail,
      openedAt: r.openedAt,
      lastSeenAt: r.lastSeenAt,
      occurrences: r.occurrences,
      closedAt: r.closedAt,
      closedBy: r.closedAt ? maskName(r.closedByName) : null,
      note: r.note,
      actions: actions
        .filter((a) => a.exceptionId === r.id)
        .map((a) => ({
          action: a.action,
          by: { kind: a.actorKind, name: a.actorKind === 'system' ? null : maskName(a.actorName) },
          note: a.note,
          result: a.result,
          at: a.at,
        })),
      custody: trails
        .filter((t) => t.parcelId === r.parcelId)
        .map((t) => ({
          kind: t.kind,
          fromState: t.fromState,
          toState: t.toState,
          actor: actorView(t),
          site: t.siteCode,
          compartment: t.compartment,
          at: t.at,
        })),
    })),
  };
}

export interface ActionAnswer {
  exceptionId: string;
  action: ExceptionAction;
  open: boolean;
  result: Record<string, unknown>;
}

async function lockOrRefuse(tx: Tx, id: string): Promise<LockedException> {
  const e = await lockException(tx, id);
  if (!e) throw new NotFound(`exception ${id}`);
  return e;
}

const actorOf = (user: User) => ({ kind: user.role === 'admin' ? ('admin' as const) : ('staff' as const), id: user.id });

export async function actOnException(
  deps: ExceptionDeps,
  id: string,
  user: User,
  body: { action: ExceptionAction; note?: string | undefined },
): Promise<ActionAnswer> {
  const note = body.note?.trim() || null;
  // Judged under the exception's row lock; a refusal writes nothing.
  const judged = await withTransaction(deps.db, async (tx) => {
    const e = await lockOrRefuse(tx, id);
    const verdict = judgeExceptionAction(e, body.action, note ?? undefined);
    if (!verdict.ok) throw new HubError(verdict.status, verdict.code, verdict.message, { kind: e.kind });
    const record = async (result: Record<string, unknown>) => {
      await insertExceptionAction(tx, { exceptionId: e.id, action: body.action, actor: actorOf(user), note, result, at: deps.now() });
      return result;
    };
    switch (verdict.effect) {
      case 'record':
        return { done: await record({}), open: true };
      case 'close':
        await closeException(tx, e.id, user.id, note!, deps.now());
        return { done: await record({}), open: false };
      case 'retry_pickup': {
        if (!e.parcelId) throw notApplicable('this courier failure names no parcel');
        const parcel = await lockParcel(tx, e.parcelId);
        // A deposited parcel, or documents still waiting at the applicant's address for their order (ADR 0037).
        if (parcel.state !== 'deposited' && parcel.state !== 'pickup_requested')
          throw notApplicable(`the parcel is ${parcel.state}: there is no pickup order left to retry`);
        // Inside the transaction: if the queue cannot take it, nothing is recorded as retried.
        const queued = await deps.retryPickup(parcel.id);
        return { done: await record({ pickup: queued }), open: true };
      }
      case 'reassign_compartment':
        return { done: null, open: true, jam: await jamOf(tx, e) };
    }
  });
  if (judged.done) return { exceptionId: id, action: body.action, open: judged.open, result: judged.done };
  return reassignJammed(deps, id, user, note, judged.jam);
}

const notApplicable = (message: string) => new Conflict('not_applicable', message);

interface Jam {
  commandId: string;
  deviceId: string;
  siteId: string;
}

/** What a jammed-door exception says about its command, checked against what the kiosk has done since. */
async function jamOf(tx: Tx, e: LockedException): Promise<Jam> {
  const { commandId, deviceId } = e.detail as { commandId?: unknown; deviceId?: unknown };
  if (typeof commandId !== 'string' || typeof deviceId !== 'string' || !e.siteId) {
    throw notApplicable('this jammed-door exception does not name its kiosk command');
  }
  const moved = await priorReassignment(tx, 'from_command_id', commandId);
  if (moved) throw notApplicable(`this deposit was already moved to compartment ${moved.grant.compartment}`);
  return { commandId, deviceId, siteId: e.siteId };
}

/**
 * The kiosk slice's reassignment (idempotent by the jammed command: asked twice, it answers the same
 * grant and writes nothing), then, in one transaction with the action's record, the code given back
 * so that the applicant's code opens the new door — unless the kiosk has meanwhile run the new
 * command or the deposit is no longer awaited.
 */
async function reassignJammed(deps: ExceptionDeps, id: string, user: User, note: string | null, jam: Jam): Promise<ActionAnswer> {
  const reply = await reassignCompartment(
    deps.db,
    { deviceId: jam.deviceId, siteId: jam.siteId },
    { requestId: uuidv7(), commandId: jam.commandId },
    deps.now(),
  );
  if (reply.status === 'error') throw new Conflict('not_applicable', reply.error.message, { reason: reply.error.code });
  const grant = reply.data;
  return withTransaction(deps.db, async (tx) => {
    const e = await lockOrRefuse(tx, id);
    const at = deps.now();
    let codeRestored = false;
    const code = await lockCodeByCommand(tx, grant.commandId);
    if (code) {
      const parcel = await lockParcel(tx, code.parcelId);
      const untouched = (await lastUnlockOutcome(tx, jam.deviceId, grant.commandId)) === null;
      if (parcel.state === 'awaiting_deposit' && untouched && (await restoreCode(tx, code.id))) {
        codeRestored = true;
        await appendCustody(tx, parcel, 'deposit_code_restored', parcel.state, parcel.state, {
          actor: actorOf(user),
          at,
          siteId: jam.siteId,
          compartment: grant.compartment,
          evidence: { exceptionId: e.id, reason: 'reassigned after a jammed door', commandId: jam.commandId },
        });
      }
    }
    const result = { compartment: grant.compartment, codeRestored };
    await insertExceptionAction(tx, { exceptionId: e.id, action: 'reassign', actor: actorOf(user), note, result, at });
    deps.log.info({ exceptionId: e.id, compartment: grant.compartment, codeRestored }, 'jammed deposit reassigned by staff');
    return { exceptionId: e.id, action: 'reassign' as const, open: !e.closed, result };
  });
}
