// Parcels and their custody log. A parcel moves only through moveParcel, which runs inside the
// caller's transaction, holds the parcel's row lock, checks the move against the journey and writes
// the new state and its hash-chained custody event together.
import { v7 as uuidv7 } from 'uuid';
import { applyMove, type ParcelMove, type ParcelState } from '../domain/parcel-journey.js';
import { CUSTODY_COLUMNS, CUSTODY_FIELDS, custodyHash, type CustodyFields } from '../domain/custody.js';
import { Conflict, NotFound } from '../errors.js';
import { commitFeed, publishOnCommit, type Db, type Tx } from './db.js';

export interface Actor {
  kind: 'applicant' | 'courier' | 'staff' | 'admin' | 'kiosk' | 'system' | 'partner';
  id: string | null;
}

/** A custody event once its transaction has committed (what the live tracking feed tells). */
export interface CustodyCommitted {
  id: string;
  parcelId: string;
  kind: string;
  fromState: ParcelState | null;
  toState: ParcelState;
  actorKind: Actor['kind'];
  siteId: string | null;
  at: Date;
}
const CUSTODY_COMMITTED = 'custody';

/** Calls `listener` with every custody event written through this pool, after its commit; returns the unsubscribe. */
export function onCustodyCommitted(db: Db, listener: (e: CustodyCommitted) => void): () => void {
  const feed = commitFeed(db);
  feed.on(CUSTODY_COMMITTED, listener);
  return () => feed.off(CUSTODY_COMMITTED, listener);
}

export interface Parcel {
  id: string;
  applicationId: string;
  direction: 'inbound' | 'outbound';
  trackingNumber: string;
  state: ParcelState;
  siteId: string | null;
  compartmentId: string | null;
}

const COLUMNS = `id, application_id AS "applicationId", direction, tracking_number AS "trackingNumber", state,
  site_id AS "siteId", compartment_id AS "compartmentId"`;

export async function insertParcel(tx: Tx, p: Parcel): Promise<void> {
  await tx.query(
    `INSERT INTO parcels (id, application_id, direction, tracking_number, state, site_id, compartment_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [p.id, p.applicationId, p.direction, p.trackingNumber, p.state, p.siteId, p.compartmentId],
  );
}

export async function lockParcel(tx: Tx, id: string): Promise<Parcel> {
  const r = await tx.query<Parcel>(`SELECT ${COLUMNS} FROM parcels WHERE id = $1 FOR UPDATE`, [id]);
  if (!r.rows[0]) throw new NotFound('parcel');
  return r.rows[0];
}

export async function lockParcelByTrackingNumber(tx: Tx, trackingNumber: string): Promise<Parcel> {
  const r = await tx.query<Parcel>(`SELECT ${COLUMNS} FROM parcels WHERE tracking_number = $1 FOR UPDATE`, [trackingNumber]);
  if (!r.rows[0]) throw new NotFound(`parcel ${trackingNumber}`);
  return r.rows[0];
}

export async function findParcel(db: Db | Tx, id: string): Promise<Parcel | null> {
  const r = await db.query<Parcel>(`SELECT ${COLUMNS} FROM parcels WHERE id = $1`, [id]);
  return r.rows[0] ?? null;
}

export async function findParcelByTrackingNumber(db: Db | Tx, trackingNumber: string): Promise<Parcel | null> {
  const r = await db.query<Parcel>(`SELECT ${COLUMNS} FROM parcels WHERE tracking_number = $1`, [trackingNumber]);
  return r.rows[0] ?? null;
}

/** Puts the parcel in a compartment, or (null) takes it out of one. */
export async function setParcelCompartment(tx: Tx, parcelId: string, compartmentId: string | null, at: Date): Promise<void> {
  await tx.query('UPDATE parcels SET compartment_id = $2, updated_at = $3 WHERE id = $1', [parcelId, compartmentId, at]);
}

export interface CustodyContext {
  actor: Actor;
  at: Date;
  siteId?: string | null;
  compartment?: number | null;
  evidence?: Record<string, unknown>;
}

/** Appends one event to the parcel's chain. The caller holds the parcel's row lock. */
export async function appendCustody(
  tx: Tx,
  parcel: Pick<Parcel, 'id'>,
  kind: string,
  fromState: ParcelState | null,
  toState: ParcelState,
  ctx: CustodyContext,
): Promise<void> {
  const prev = await tx.query<{ hash: string }>('SELECT hash FROM custody_events WHERE parcel_id = $1 ORDER BY seq DESC LIMIT 1', [
    parcel.id,
  ]);
  const prevHash = prev.rows[0]?.hash ?? null;
  const fields: CustodyFields = {
    id: uuidv7(),
    parcelId: parcel.id,
    kind,
    fromState,
    toState,
    actorKind: ctx.actor.kind,
    actorId: ctx.actor.id,
    siteId: ctx.siteId ?? null,
    compartment: ctx.compartment ?? null,
    // Stored at microsecond precision; the hash must cover exactly what is stored.
    at: new Date(Math.floor(ctx.at.getTime())),
    evidence: ctx.evidence ?? {},
  };
  const values: unknown[] = CUSTODY_FIELDS.map((f) => (f === 'evidence' ? JSON.stringify(fields.evidence) : fields[f]));
  values.push(prevHash, custodyHash(prevHash, fields));
  await tx.query(
    `INSERT INTO custody_events (${CUSTODY_FIELDS.map((f) => CUSTODY_COLUMNS[f]).join(', ')}, prev_hash, hash)
     VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`,
    values,
  );
  publishOnCommit(tx, CUSTODY_COMMITTED, {
    id: fields.id,
    parcelId: parcel.id,
    kind,
    fromState,
    toState,
    actorKind: ctx.actor.kind,
    siteId: fields.siteId,
    at: fields.at,
  } satisfies CustodyCommitted);
}

/** Moves a locked parcel along its journey and records the custody event, or refuses and writes nothing. */
export async function moveParcel(tx: Tx, parcel: Parcel, move: ParcelMove, ctx: CustodyContext): Promise<Parcel> {
  const r = applyMove(parcel.state, move);
  if (!r.ok) throw new Conflict('illegal_transition', r.reason, { state: parcel.state, move });
  await tx.query('UPDATE parcels SET state = $2, updated_at = $3 WHERE id = $1', [parcel.id, r.to, ctx.at]);
  await appendCustody(tx, parcel, move, parcel.state, r.to, ctx);
  return { ...parcel, state: r.to };
}

export interface CustodyEventView extends CustodyFields {
  seq: number;
  prevHash: string | null;
  hash: string;
}

const CUSTODY_SELECT = CUSTODY_FIELDS.map((f) => `${CUSTODY_COLUMNS[f]} AS "${f}"`).join(', ');

export async function custodyLog(db: Db | Tx, parcelId: string): Promise<CustodyEventView[]> {
  const r = await db.query<CustodyEventView & { seq: string }>(
    `SELECT seq, ${CUSTODY_SELECT}, prev_hash AS "prevHash", hash
     FROM custody_events WHERE parcel_id = $1 ORDER BY seq`,
    [parcelId],
  );
  return r.rows.map((row) => ({ ...row, seq: Number(row.seq) }));
}
