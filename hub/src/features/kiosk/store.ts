// The kiosk slice's SQL: registered devices and their sites' online flag, the events kiosks send
// (each stored once by its id), where each unlock command stands, the kiosks' alarms and bus states,
// and the record of compartment reassignments after a jam.
import type { BusHealth, CodeGrant, CodePurpose, KioskEvent } from '@xinbao/protocol';
import type { CompartmentSize } from '../../domain/compartments.js';
import type { UnlockState } from '../../domain/unlock-outcome.js';
import type { Db, Tx } from '../../store/db.js';

export async function findDevice(db: Db, deviceId: string): Promise<{ siteId: string; publicKey: string; deactivated: boolean } | null> {
  const r = await db.query<{ siteId: string; publicKey: string; deactivated: boolean }>(
    'SELECT site_id AS "siteId", public_key AS "publicKey", deactivated_at IS NOT NULL AS deactivated FROM kiosk_devices WHERE id = $1',
    [deviceId],
  );
  return r.rows[0] ?? null;
}

export async function touchDevice(db: Db, deviceId: string, at: Date): Promise<void> {
  await db.query('UPDATE kiosk_devices SET last_seen_at = $2 WHERE id = $1', [deviceId, at]);
}

/** Stores the event unless one with its id is stored already; true when stored now. */
export async function insertKioskEvent(tx: Tx, deviceId: string, event: KioskEvent): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO kiosk_events (event_id, device_id, type, compartment, at, payload)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING`,
    [event.eventId, deviceId, event.type, event.compartment, event.at, JSON.stringify(event)],
  );
  return r.rowCount !== 0;
}

/** The parcels whose documents are (or are about to be) behind this compartment's door. */
export async function parcelsBehindDoor(tx: Tx, compartmentId: string): Promise<string[]> {
  const r = await tx.query<{ id: string }>(
    `SELECT id FROM parcels WHERE compartment_id = $1 AND state IN ('awaiting_deposit', 'deposited', 'pickup_ordered')`,
    [compartmentId],
  );
  return r.rows.map((p) => p.id);
}

/**
 * Where an unlock command stands (unlock_outcomes); for a command reported only before that table
 * existed, the kiosk's latest reported outcome; null when none was reported.
 */
export async function lastUnlockOutcome(tx: Tx, deviceId: string, commandId: string): Promise<UnlockState | null> {
  const r = await tx.query<{ outcome: UnlockState }>(
    `SELECT outcome, 0 AS pref FROM unlock_outcomes WHERE command_id = $1::uuid AND device_id = $2
     UNION ALL
     (SELECT payload->>'outcome', 1 FROM kiosk_events
      WHERE type = 'unlock_result' AND payload->>'commandId' = $1::text AND device_id = $2 ORDER BY at DESC LIMIT 1)
     ORDER BY pref LIMIT 1`,
    [commandId, deviceId],
  );
  return r.rows[0]?.outcome ?? null;
}

// ---- reassignments

export interface PriorReassignment {
  deviceId: string;
  fromCommandId: string;
  grant: CodeGrant;
}

export async function priorReassignment(tx: Tx, where: 'request_id' | 'from_command_id', id: string): Promise<PriorReassignment | null> {
  const r = await tx.query<{
    deviceId: string;
    fromCommandId: string;
    commandId: string;
    compartment: number;
    purpose: CodePurpose;
    trackingNumber: string;
  }>(
    `SELECT r.device_id AS "deviceId", r.from_command_id AS "fromCommandId", r.to_command_id AS "commandId",
       k.number AS compartment, c.purpose, p.tracking_number AS "trackingNumber"
     FROM compartment_reassignments r JOIN compartments k ON k.id = r.to_compartment_id
       JOIN access_codes c ON c.id = r.code_id JOIN parcels p ON p.id = c.parcel_id
     WHERE r.${where} = $1`,
    [id],
  );
  const row = r.rows[0];
  if (!row) return null;
  const { deviceId, fromCommandId, ...grant } = row;
  return { deviceId, fromCommandId, grant };
}

export interface JammedCode {
  id: string;
  purpose: CodePurpose;
  parcelId: string;
  compartmentId: string;
  number: number;
  size: CompartmentSize;
  usedByDevice: string | null;
  siteId: string;
}

/** The code holding this open command, with its compartment, locked. */
export async function lockCodeWithCompartment(tx: Tx, commandId: string): Promise<JammedCode | null> {
  const r = await tx.query<JammedCode>(
    `SELECT c.id, c.purpose, c.parcel_id AS "parcelId", c.compartment_id AS "compartmentId", k.number, k.size,
       c.used_by_device AS "usedByDevice", c.site_id AS "siteId"
     FROM access_codes c JOIN compartments k ON k.id = c.compartment_id
     WHERE c.command_id = $1 FOR UPDATE OF c`,
    [commandId],
  );
  return r.rows[0] ?? null;
}

/** The compartment size the parcel's service matter needs. */
export async function neededSize(tx: Tx, parcelId: string): Promise<CompartmentSize | null> {
  const r = await tx.query<{ size: CompartmentSize }>(
    `SELECT m.parcel_size AS size FROM parcels p JOIN applications a ON a.id = p.application_id
     JOIN service_matters m ON m.id = a.matter_id WHERE p.id = $1`,
    [parcelId],
  );
  return r.rows[0]?.size ?? null;
}

export async function insertReassignment(
  tx: Tx,
  r: {
    requestId: string;
    deviceId: string;
    codeId: string;
    fromCommandId: string;
    toCommandId: string;
    fromCompartmentId: string;
    toCompartmentId: string;
    at: Date;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO compartment_reassignments (request_id, device_id, code_id, from_command_id, to_command_id, from_compartment_id, to_compartment_id, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [r.requestId, r.deviceId, r.codeId, r.fromCommandId, r.toCommandId, r.fromCompartmentId, r.toCompartmentId, r.at],
  );
}

// ---- unlock commands (ADR 0014)

export interface UnlockCommandRow {
  commandId: string;
  deviceId: string;
  codeId: string;
  compartmentId: string;
  state: UnlockState;
  codeRestored: boolean;
}

export async function lockUnlockCommand(tx: Tx, commandId: string): Promise<UnlockCommandRow | null> {
  const r = await tx.query<UnlockCommandRow>(
    `SELECT command_id AS "commandId", device_id AS "deviceId", code_id AS "codeId", compartment_id AS "compartmentId",
       outcome AS state, code_restored AS "codeRestored"
     FROM unlock_outcomes WHERE command_id = $1 FOR UPDATE`,
    [commandId],
  );
  return r.rows[0] ?? null;
}

export async function saveUnlockCommand(tx: Tx, c: UnlockCommandRow, at: Date): Promise<void> {
  await tx.query(
    `INSERT INTO unlock_outcomes (command_id, device_id, code_id, compartment_id, outcome, code_restored, reported_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
     ON CONFLICT (command_id) DO UPDATE SET outcome = EXCLUDED.outcome, code_restored = EXCLUDED.code_restored, updated_at = EXCLUDED.updated_at`,
    [c.commandId, c.deviceId, c.codeId, c.compartmentId, c.state, c.codeRestored, at],
  );
}

// ---- alarms

export interface AlarmRaise {
  siteId: string;
  deviceId: string;
  kind: string;
  /** what it is about: 'board:<bus>:<board>', 'bus:<bus>', 'compartment:<n>' or 'command:<id>' */
  subject: string;
  bus?: string | null;
  board?: number | null;
  compartment?: number | null;
  commandId?: string | null;
  detail?: string | null;
  at: Date;
}

export interface RaisedAlarm {
  id: string;
  /** true when this raised a new alarm; false when it counted a repeat on the open one */
  raisedNow: boolean;
  count: number;
  custodyAt: Date | null;
}

/** Raises the alarm, or counts a repeat on the one open for the same device, kind and subject. */
export async function raiseAlarm(tx: Tx, id: string, a: AlarmRaise): Promise<RaisedAlarm> {
  const r = await tx.query<RaisedAlarm>(
    `INSERT INTO kiosk_alarms (id, site_id, device_id, kind, subject, bus, board, compartment, command_id, detail, raised_at, last_seen_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
     ON CONFLICT (device_id, kind, subject) WHERE cleared_at IS NULL
     DO UPDATE SET count = kiosk_alarms.count + 1, last_seen_at = GREATEST(kiosk_alarms.last_seen_at, EXCLUDED.last_seen_at),
       detail = coalesce(EXCLUDED.detail, kiosk_alarms.detail)
     RETURNING id, id = $1 AS "raisedNow", count, custody_at AS "custodyAt"`,
    [
      id,
      a.siteId,
      a.deviceId,
      a.kind,
      a.subject,
      a.bus ?? null,
      a.board ?? null,
      a.compartment ?? null,
      a.commandId ?? null,
      a.detail ?? null,
      a.at,
    ],
  );
  return r.rows[0]!;
}

export async function markAlarmCustody(tx: Tx, alarmId: string, at: Date): Promise<void> {
  await tx.query('UPDATE kiosk_alarms SET custody_at = $2 WHERE id = $1', [alarmId, at]);
}

/** Clears the open alarm of this device, kind and subject; true when one was open. */
export async function clearAlarm(tx: Tx, deviceId: string, kind: string, subject: string, at: Date): Promise<boolean> {
  const r = await tx.query(
    'UPDATE kiosk_alarms SET cleared_at = GREATEST($4, raised_at) WHERE device_id = $1 AND kind = $2 AND subject = $3 AND cleared_at IS NULL',
    [deviceId, kind, subject, at],
  );
  return r.rowCount !== 0;
}

export interface AlarmView {
  id: string;
  kind: string;
  subject: string;
  bus: string | null;
  board: number | null;
  compartment: number | null;
  commandId: string | null;
  detail: string | null;
  raisedAt: Date;
  lastSeenAt: Date;
  clearedAt: Date | null;
  count: number;
}

/** The device's open alarms, and (with `recent`) the ones cleared in the last day, newest first. */
export async function deviceAlarms(db: Db, deviceId: string, now: Date): Promise<AlarmView[]> {
  const r = await db.query<AlarmView>(
    `SELECT id, kind, subject, bus, board, compartment, command_id AS "commandId", detail, raised_at AS "raisedAt",
       last_seen_at AS "lastSeenAt", cleared_at AS "clearedAt", count
     FROM kiosk_alarms WHERE device_id = $1 AND (cleared_at IS NULL OR cleared_at > $2::timestamptz - interval '1 day')
     ORDER BY raised_at DESC, id LIMIT 200`,
    [deviceId, now],
  );
  return r.rows;
}

// ---- bus states

/** Stores each bus's state unless a newer report of that bus is stored; returns how many it stored. */
export async function saveBusStates(
  tx: Tx,
  deviceId: string,
  reportedAt: Date,
  receivedAt: Date,
  buses: readonly BusHealth[],
): Promise<number> {
  let stored = 0;
  for (const b of buses) {
    const r = await tx.query(
      `INSERT INTO kiosk_bus_states (device_id, bus, state, frames, replies, timeouts, bad_frames_dropped, reopenings, last_error, reported_at, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (device_id, bus) DO UPDATE SET state = EXCLUDED.state, frames = EXCLUDED.frames, replies = EXCLUDED.replies,
         timeouts = EXCLUDED.timeouts, bad_frames_dropped = EXCLUDED.bad_frames_dropped, reopenings = EXCLUDED.reopenings,
         last_error = EXCLUDED.last_error, reported_at = EXCLUDED.reported_at, received_at = EXCLUDED.received_at
       WHERE kiosk_bus_states.reported_at <= EXCLUDED.reported_at`,
      [
        deviceId,
        b.bus,
        b.state,
        b.frames,
        b.replies,
        b.timeouts,
        b.badFramesDropped,
        b.reopenings,
        b.lastError ?? null,
        reportedAt,
        receivedAt,
      ],
    );
    stored += r.rowCount ?? 0;
  }
  return stored;
}

export interface BusStateView extends BusHealth {
  reportedAt: Date;
  receivedAt: Date;
}

export async function deviceBusStates(db: Db, deviceId: string): Promise<BusStateView[]> {
  const r = await db.query<Omit<BusStateView, 'lastError'> & { lastError: string | null }>(
    `SELECT bus, state, frames::float8 AS frames, replies::float8 AS replies, timeouts::float8 AS timeouts,
       bad_frames_dropped::float8 AS "badFramesDropped", reopenings::float8 AS reopenings, last_error AS "lastError",
       reported_at AS "reportedAt", received_at AS "receivedAt"
     FROM kiosk_bus_states WHERE device_id = $1 ORDER BY bus`,
    [deviceId],
  );
  return r.rows.map(({ lastError, ...b }) => (lastError === null ? b : { ...b, lastError }));
}

export interface DeviceView {
  deviceId: string;
  siteId: string;
  label: string;
  lastSeenAt: Date | null;
  siteOnline: boolean;
}

export async function findDeviceView(db: Db, deviceId: string): Promise<DeviceView | null> {
  const r = await db.query<DeviceView>(
    `SELECT d.id AS "deviceId", d.site_id AS "siteId", d.label, d.last_seen_at AS "lastSeenAt", s.online AS "siteOnline"
     FROM kiosk_devices d JOIN sites s ON s.id = d.site_id WHERE d.id = $1`,
    [deviceId],
  );
  return r.rows[0] ?? null;
}

export async function compartmentNumber(tx: Tx, compartmentId: string): Promise<number | null> {
  const r = await tx.query<{ number: number }>('SELECT number FROM compartments WHERE id = $1', [compartmentId]);
  return r.rows[0]?.number ?? null;
}

// ---- presence: which kiosk sockets are connected, on which hub process (migration 009)

/** Sets the site's online flag from its connection rows; the caller holds the site's row lock. */
async function recomputeSiteOnline(tx: Tx, siteId: string): Promise<boolean> {
  const r = await tx.query<{ online: boolean }>(
    'UPDATE sites SET online = EXISTS (SELECT 1 FROM kiosk_connections WHERE site_id = $1) WHERE id = $1 RETURNING online',
    [siteId],
  );
  return r.rows[0]?.online ?? false;
}

/** Locks the site's row: connects and disconnects of one site's devices are counted one at a time. */
async function lockSite(tx: Tx, siteId: string): Promise<void> {
  await tx.query('SELECT id FROM sites WHERE id = $1 FOR UPDATE', [siteId]);
}

export async function insertConnection(
  tx: Tx,
  c: { socketId: string; deviceId: string; siteId: string; hubId: string; at: Date },
): Promise<boolean> {
  await lockSite(tx, c.siteId);
  await tx.query(
    `INSERT INTO kiosk_connections (socket_id, device_id, site_id, hub_id, connected_at, seen_at) VALUES ($1, $2, $3, $4, $5, $5)
     ON CONFLICT (socket_id) DO UPDATE SET seen_at = $5`,
    [c.socketId, c.deviceId, c.siteId, c.hubId, c.at],
  );
  await tx.query('UPDATE kiosk_devices SET last_seen_at = $2 WHERE id = $1', [c.deviceId, c.at]);
  return recomputeSiteOnline(tx, c.siteId);
}

/** Removes the socket's row; whether the site is still online (another device connected). */
export async function deleteConnection(tx: Tx, socketId: string, siteId: string): Promise<boolean> {
  await lockSite(tx, siteId);
  await tx.query('DELETE FROM kiosk_connections WHERE socket_id = $1', [socketId]);
  return recomputeSiteOnline(tx, siteId);
}

export async function refreshConnections(db: Db, hubId: string, at: Date): Promise<void> {
  await db.query('UPDATE kiosk_connections SET seen_at = $2 WHERE hub_id = $1', [hubId, at]);
}

/** The sites with connection rows not refreshed since `before` (a hub process gone), or of `hubId` (closing). */
export async function sitesWithStaleConnections(db: Db, before: Date, hubId: string | null): Promise<string[]> {
  const r = await db.query<{ siteId: string }>(
    'SELECT DISTINCT site_id AS "siteId" FROM kiosk_connections WHERE seen_at < $1 OR hub_id = $2',
    [before, hubId],
  );
  return r.rows.map((x) => x.siteId);
}

export async function dropStaleConnections(tx: Tx, siteId: string, before: Date, hubId: string | null): Promise<boolean> {
  await lockSite(tx, siteId);
  await tx.query('DELETE FROM kiosk_connections WHERE site_id = $1 AND (seen_at < $2 OR hub_id = $3)', [siteId, before, hubId]);
  return recomputeSiteOnline(tx, siteId);
}

/** Of these devices, the ones deactivated, or re-keyed since they connected (to cut after a missed notification). */
export async function devicesToCut(db: Db, deviceIds: string[]): Promise<string[]> {
  if (deviceIds.length === 0) return [];
  const r = await db.query<{ id: string }>(
    `SELECT d.id FROM kiosk_devices d WHERE d.id = ANY($1::uuid[]) AND (d.deactivated_at IS NOT NULL
       OR EXISTS (SELECT 1 FROM kiosk_connections c WHERE c.device_id = d.id AND c.connected_at < d.key_rotated_at))`,
    [deviceIds],
  );
  return r.rows.map((x) => x.id);
}
