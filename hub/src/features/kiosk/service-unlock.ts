// A kiosk's report on an open command's unlock (`unlock_result`) or a person's answer to an
// unconfirmed one (`unlock_answered`), carried out in the caller's transaction, the one that
// stores the event: decideUnlock says what it does; this gives the code back or spends it again,
// takes the compartment out of service, settles the door cycle, raises and clears alarms, writes
// the custody record and remembers where the command stands (ADR 0014).
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { decideUnlock, type AlarmKind, type UnlockState } from '../../domain/unlock-outcome.js';
import type { Tx } from '../../store/db.js';
import { setCompartmentState } from '../../store/compartments.js';
import { appendCustody, lockParcel } from '../../store/parcels.js';
import { exceptionSubject } from '../../domain/exceptions.js';
import { openException } from '../../store/exceptions.js';
import { lockCodeByCommand, lockSpentCode, resolveDoorCycle, restoreCode, spendCodeAgain } from '../codes/store.js';
import { clearAlarm, commandSubject, compartmentSubject, raiseAlarmWithCustody } from './service-alarms.js';
import { compartmentNumber, lockUnlockCommand, raiseAlarm, saveUnlockCommand } from './store.js';

export interface UnlockReport {
  commandId: string;
  report: UnlockState;
  eventId: string;
  at: Date;
  detail: string | null;
}

export async function applyUnlockReport(tx: Tx, kiosk: { deviceId: string; siteId: string }, r: UnlockReport, log: Logger): Promise<void> {
  let standing = await lockUnlockCommand(tx, r.commandId);
  const codeId = standing?.codeId ?? (await lockCodeByCommand(tx, r.commandId))?.id;
  // A command no code granted (or one a reassignment has moved on from): the stored event is all.
  if (!codeId) return;
  const code = await lockSpentCode(tx, codeId);
  if (!code || code.siteId !== kiosk.siteId) return;
  // Read again under the code's lock: a first report of the same command may have committed meanwhile.
  standing ??= await lockUnlockCommand(tx, r.commandId);
  // Only the kiosk that holds the command reports on it.
  if (standing ? standing.deviceId !== kiosk.deviceId : code.usedByDevice !== kiosk.deviceId) {
    log.warn({ deviceId: kiosk.deviceId, commandId: r.commandId }, 'unlock report for another kiosk’s command');
    return;
  }
  const compartmentId = standing?.compartmentId ?? code.compartmentId;
  const decision = decideUnlock({
    standing: standing && { state: standing.state, codeRestored: standing.codeRestored },
    report: r.report,
    codeSpendable: code.usedAt === null && code.revokedAt === null,
  });
  if (decision.kind === 'ignore') {
    log.info(
      { deviceId: kiosk.deviceId, commandId: r.commandId, report: r.report, standing: standing?.state },
      'unlock report changes nothing',
    );
    return;
  }
  const number = await compartmentNumber(tx, compartmentId);
  // The code is bound to this command (not moved on to another by a reassignment or a later use).
  const bound = code.commandId === r.commandId;
  let codeRestored = standing?.codeRestored ?? false;
  let codeChange: 'restored' | 'spent_again' | 'not_restored' | 'unchanged' = 'unchanged';
  if (decision.code === 'restore') {
    if (bound && (await restoreCode(tx, code.id))) {
      codeRestored = true;
      codeChange = 'restored';
    } else codeChange = 'not_restored';
  } else if (decision.code === 'spend_again') {
    await spendCodeAgain(tx, code.id, { at: r.at, deviceId: kiosk.deviceId, commandId: r.commandId });
    codeRestored = false;
    codeChange = 'spent_again';
  }
  if (decision.resolveDoorCycle && bound && !codeRestored) await resolveDoorCycle(tx, code.id, r.at);
  if (decision.compartmentFault) await setCompartmentState(tx, compartmentId, 'fault', r.at);
  await saveUnlockCommand(
    tx,
    { commandId: r.commandId, deviceId: kiosk.deviceId, codeId: code.id, compartmentId, state: decision.state, codeRestored },
    r.at,
  );

  const subject = (kind: AlarmKind) => (kind === 'unlock_not_sent' ? compartmentSubject(number ?? 0) : commandSubject(r.commandId));
  for (const kind of decision.clear) await clearAlarm(tx, kiosk.deviceId, kind, subject(kind), r.at);
  const alarm = (kind: string, subjectOf: string) => ({
    siteId: kiosk.siteId,
    deviceId: kiosk.deviceId,
    kind,
    subject: subjectOf,
    compartment: number,
    commandId: r.commandId,
    detail: r.detail,
    at: r.at,
  });
  if (decision.raise) await raiseAlarmWithCustody(tx, alarm(decision.raise, subject(decision.raise)), null);
  // A code that should have been given back and could not be: staff must issue its holder a new one.
  if (codeChange === 'not_restored') await raiseAlarm(tx, uuidv7(), alarm('code_not_restored', commandSubject(r.commandId)));

  // A door that did not open, or that nobody saw open, is staff's to look at (ADR 0022).
  if (r.report === 'jammed' || r.report === 'unconfirmed') {
    await openException(tx, {
      kind: r.report === 'jammed' ? 'unlock_jammed' : 'unlock_unconfirmed',
      subject: exceptionSubject.command(r.commandId),
      parcelId: code.parcelId,
      siteId: kiosk.siteId,
      detail: { commandId: r.commandId, deviceId: kiosk.deviceId, compartment: number, purpose: code.purpose, detail: r.detail },
      at: r.at,
    });
  }

  if (decision.custodyKind) {
    const parcel = await lockParcel(tx, code.parcelId);
    await appendCustody(tx, parcel, decision.custodyKind, parcel.state, parcel.state, {
      actor: r.report.startsWith('answered_') ? { kind: code.holder, id: null } : { kind: 'kiosk', id: kiosk.deviceId },
      at: r.at,
      siteId: kiosk.siteId,
      compartment: number,
      evidence: {
        deviceId: kiosk.deviceId,
        commandId: r.commandId,
        eventId: r.eventId,
        detail: r.detail,
        before: standing?.state ?? null,
        code: codeChange,
      },
    });
  }
}
