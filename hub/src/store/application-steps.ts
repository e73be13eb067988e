// An application's own steps, as opposed to its parcels' custody events: a pre-review decision, a
// resubmission, a reply to its rating. Told once their transaction has committed (and only then),
// through the same commit feed as custody events, so the live tracking page follows them too (ADR 0031).
import { commitFeed, publishOnCommit, type Db, type Tx } from './db.js';

export interface ApplicationStepCommitted {
  /** the step's own id (its row's), so a listener can tell one step from another */
  id: string;
  applicationId: string;
  /** what happened: a pre-review step (`submitted`, `returned`, `passed` …) or `rating_replied` */
  kind: string;
  at: Date;
}
const APPLICATION_STEP_COMMITTED = 'application-step';

/** Queues the step to be told once `tx` commits; nothing is told if it rolls back. */
export function publishApplicationStep(tx: Tx, step: ApplicationStepCommitted): void {
  publishOnCommit(tx, APPLICATION_STEP_COMMITTED, step);
}

/** Calls `listener` with every application step written through this pool, after its commit; returns the unsubscribe. */
export function onApplicationStepCommitted(db: Db, listener: (s: ApplicationStepCommitted) => void): () => void {
  const feed = commitFeed(db);
  feed.on(APPLICATION_STEP_COMMITTED, listener);
  return () => feed.off(APPLICATION_STEP_COMMITTED, listener);
}
