// Compartments, the shared store every feature uses. A compartment changes state only through
// setCompartmentState, which runs inside the caller's transaction, holds the compartment's row lock
// and checks the move against COMPARTMENT_MOVES; free compartments are taken only through
// lockFreeCompartments.
import { applyCompartmentMove, type CompartmentMove, type CompartmentSize, type CompartmentState } from '../domain/compartments.js';
import { Conflict, NotFound } from '../errors.js';
import type { Tx } from './db.js';

export interface FreeCompartmentRow {
  id: string;
  number: number;
  size: CompartmentSize;
  accessible: boolean;
}

/** A compartment move that COMPARTMENT_MOVES does not allow from the compartment's state. */
export class IllegalCompartmentMove extends Conflict {
  constructor(
    readonly state: CompartmentState,
    readonly move: CompartmentMove,
    reason: string,
  ) {
    super('illegal_compartment_move', reason, { state, move });
  }
}

/**
 * The site's free compartments, each locked. SKIP LOCKED: two requests reserving at once never get
 * the same compartment and never wait on each other.
 */
export async function lockFreeCompartments(tx: Tx, siteId: string): Promise<FreeCompartmentRow[]> {
  const r = await tx.query<FreeCompartmentRow>(
    `SELECT id, number, size, accessible FROM compartments WHERE site_id = $1 AND state = 'free' FOR UPDATE SKIP LOCKED`,
    [siteId],
  );
  return r.rows;
}

/** The compartment's state, its row locked until the transaction ends. */
export async function lockCompartmentState(tx: Tx, compartmentId: string): Promise<CompartmentState> {
  const r = await tx.query<{ state: CompartmentState }>('SELECT state FROM compartments WHERE id = $1 FOR UPDATE', [compartmentId]);
  if (!r.rows[0]) throw new NotFound('compartment');
  return r.rows[0].state;
}

/** Moves a compartment to its next state, or refuses with IllegalCompartmentMove and writes nothing. */
export async function setCompartmentState(tx: Tx, compartmentId: string, move: CompartmentMove, at: Date): Promise<CompartmentState> {
  const state = await lockCompartmentState(tx, compartmentId);
  const r = applyCompartmentMove(state, move);
  if (!r.ok) throw new IllegalCompartmentMove(state, move, r.reason);
  await tx.query('UPDATE compartments SET state = $2, updated_at = $3 WHERE id = $1', [compartmentId, r.to, at]);
  return r.to;
}

/** A compartment of a site by its number, or null. */
export async function findCompartmentByNumber(tx: Tx, siteId: string, number: number): Promise<{ id: string } | null> {
  const r = await tx.query<{ id: string }>('SELECT id FROM compartments WHERE site_id = $1 AND number = $2', [siteId, number]);
  return r.rows[0] ?? null;
}
