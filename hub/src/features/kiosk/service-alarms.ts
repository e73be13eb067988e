// A kiosk's alarms as records, its buses' last reported state, and the status view staff read.
// An alarm is one row per device, kind and subject (a board, a bus, a compartment, a command) while
// it is open: a repeat counts on it, and its custody records (on the parcels behind the door it
// names) are written when it is raised and then at most once per `custodyEveryMs`, so a flapping
// bus cannot flood the custody log.
import { v7 as uuidv7 } from 'uuid';
import type { BusReport } from '@xinbao/protocol';
import { alarmCustodyDue } from '../../domain/unlock-outcome.js';
import { NotFound } from '../../errors.js';
import { withTransaction, type Db, type Tx } from '../../store/db.js';
import { appendCustody, lockParcel } from '../../store/parcels.js';
import {
  clearAlarm,
  deviceAlarms,
  deviceBusStates,
  findDeviceView,
  markAlarmCustody,
  parcelsBehindDoor,
  raiseAlarm,
  saveBusStates,
  type AlarmRaise,
  type AlarmView,
  type BusStateView,
  type DeviceView,
} from './store.js';

/** How often, at most, an alarm that keeps repeating is written to the custody log. */
export const ALARM_CUSTODY_EVERY_MS = 15 * 60_000;

export const boardSubject = (bus: string, board: number) => `board:${bus}:${board}`;
export const busSubject = (bus: string) => `bus:${bus}`;
export const compartmentSubject = (n: number) => `compartment:${n}`;
export const commandSubject = (commandId: string) => `command:${commandId}`;

/**
 * Raises (or counts) an alarm and, when due, records it in the custody log of the parcels behind
 * `door` (the compartment's id; none for an alarm about a whole board or bus without one).
 */
export async function raiseAlarmWithCustody(
  tx: Tx,
  alarm: AlarmRaise,
  door: { compartmentId: string; custodyKind: string; evidence: Record<string, unknown> } | null,
  custodyEveryMs = ALARM_CUSTODY_EVERY_MS,
): Promise<{ raisedNow: boolean; custody: number }> {
  const raised = await raiseAlarm(tx, uuidv7(), alarm);
  if (!door || !alarmCustodyDue({ raisedNow: raised.raisedNow, custodyAt: raised.custodyAt, at: alarm.at, everyMs: custodyEveryMs })) {
    return { raisedNow: raised.raisedNow, custody: 0 };
  }
  const parcels = await parcelsBehindDoor(tx, door.compartmentId);
  for (const id of parcels) {
    const parcel = await lockParcel(tx, id);
    await appendCustody(tx, parcel, door.custodyKind, parcel.state, parcel.state, {
      actor: { kind: 'kiosk', id: alarm.deviceId },
      at: alarm.at,
      siteId: alarm.siteId,
      compartment: alarm.compartment ?? null,
      evidence: { ...door.evidence, alarmId: raised.id, repeats: raised.count - 1 },
    });
  }
  if (parcels.length > 0) await markAlarmCustody(tx, raised.id, alarm.at);
  return { raisedNow: raised.raisedNow, custody: parcels.length };
}

export { clearAlarm };

/**
 * Stores a kiosk's bus report (each bus unless a newer report of it is stored); a bus reported
 * down or reopening raises a `bus_down` alarm, one reported up clears it.
 */
export async function recordBusReport(db: Db, kiosk: { deviceId: string; siteId: string }, report: BusReport, now: Date): Promise<boolean> {
  const at = new Date(report.at);
  return withTransaction(db, async (tx) => {
    const stored = await saveBusStates(tx, kiosk.deviceId, at, now, report.buses);
    if (stored === 0) return false;
    for (const b of report.buses) {
      if (b.state === 'up') await clearAlarm(tx, kiosk.deviceId, 'bus_down', busSubject(b.bus), at);
      else {
        await raiseAlarm(tx, uuidv7(), {
          siteId: kiosk.siteId,
          deviceId: kiosk.deviceId,
          kind: 'bus_down',
          subject: busSubject(b.bus),
          bus: b.bus,
          detail: b.lastError ?? b.state,
          at,
        });
      }
    }
    return true;
  });
}

export interface KioskStatus extends DeviceView {
  buses: BusStateView[];
  /** open alarms, and those cleared in the last day */
  alarms: AlarmView[];
}

/** What staff see of one kiosk: when it was last seen, its buses' last reported state, its alarms. */
export async function kioskStatus(db: Db, deviceId: string, now: Date): Promise<KioskStatus> {
  const device = await findDeviceView(db, deviceId);
  if (!device) throw new NotFound('kiosk');
  return { ...device, buses: await deviceBusStates(db, deviceId), alarms: await deviceAlarms(db, deviceId, now) };
}
