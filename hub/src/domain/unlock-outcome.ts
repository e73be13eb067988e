// What a kiosk's report on an open command's unlock does to the command's code, its compartment
// and the alarms (ADR 0014). The code is spent at the grant (ADR 0003); it is given back only when
// the evidence says the door did not open: the unlock frame was never written (`not_sent`), or a
// person at the screen answered "the door did not open" to an `unconfirmed` unlock. Reports for one
// command may come again (retries) or late (a lost reply): each carries a strength, and only a
// stronger report than the one standing changes anything, so a repeat changes nothing and a late
// `opened` after a give-back spends the code again exactly once.
import type { UnlockOutcome } from '@xinbao/protocol';

/** Where a command stands: a kiosk's reported outcome, or a person's answer on the screen. */
export type UnlockState = UnlockOutcome | 'answered_opened' | 'answered_not_opened';

/** How much each state says about the door; a report replaces the standing state only if stronger. */
const STRENGTH: Record<UnlockState, number> = {
  // "never written" is the agent's own bookkeeping: any sign the frame went out overrides it
  not_sent: 0,
  // the frame went out, nothing seen either way
  unconfirmed: 1,
  failed: 1,
  // a person looked
  answered_opened: 2,
  answered_not_opened: 2,
  // the sensors across the whole confirmation window
  jammed: 3,
  // a read showed the door open or the item changed
  opened: 4,
};

/** Whether the code stays spent or is given back once the command stands in this state; `unchanged` keeps it as it is. */
function codeFor(state: UnlockState): 'spent' | 'restored' | 'unchanged' {
  switch (state) {
    case 'not_sent':
    case 'answered_not_opened':
      return 'restored';
    case 'opened':
    case 'answered_opened':
    case 'unconfirmed':
    case 'failed':
      // Security first: a door that may have opened has spent its code (a person's answer can give it back).
      return 'spent';
    case 'jammed':
      // A jammed deposit keeps its spent code to move it to another compartment (ADR 0003); a jam
      // after a give-back leaves the code given back.
      return 'unchanged';
  }
}

export type AlarmKind = 'unlock_unconfirmed' | 'unlock_not_sent' | 'late_open_code_reused';

export interface UnlockFacts {
  /** the command's standing state; null when this is the first report */
  standing: { state: UnlockState; codeRestored: boolean } | null;
  report: UnlockState;
  /** the code can be spent again (not used by another command since, not revoked) */
  codeSpendable: boolean;
}

export type UnlockDecision =
  | { kind: 'ignore' }
  | {
      kind: 'apply';
      state: UnlockState;
      code: 'keep' | 'restore' | 'spend_again';
      /** the compartment goes out of service */
      compartmentFault: boolean;
      /** the door cycle is settled now (the door did not open); otherwise its door_closed settles it */
      resolveDoorCycle: boolean;
      raise: AlarmKind | null;
      clear: AlarmKind[];
      /** the custody record of the parcel; null for a plain first `opened` (its door_closed is the record) */
      custodyKind: string | null;
    };

export function decideUnlock(f: UnlockFacts): UnlockDecision {
  if (f.standing && STRENGTH[f.report] <= STRENGTH[f.standing.state]) return { kind: 'ignore' };
  const restoredNow = f.standing?.codeRestored ?? false;
  const want = codeFor(f.report);
  let code: 'keep' | 'restore' | 'spend_again' = 'keep';
  let raise: AlarmKind | null = null;
  if (want === 'restored' && !restoredNow) code = 'restore';
  if (want === 'spent' && restoredNow) {
    if (f.codeSpendable) code = 'spend_again';
    else raise = 'late_open_code_reused';
  }
  const clear: AlarmKind[] = [];
  if (f.standing?.state === 'unconfirmed') clear.push('unlock_unconfirmed');
  if (f.report === 'opened' || f.report === 'answered_opened') clear.push('unlock_not_sent');
  if (f.report === 'unconfirmed') raise ??= 'unlock_unconfirmed';
  if (f.report === 'not_sent') raise ??= 'unlock_not_sent';
  return {
    kind: 'apply',
    state: f.report,
    code,
    compartmentFault: f.report === 'jammed',
    resolveDoorCycle: f.report === 'jammed' || f.report === 'failed',
    raise,
    clear,
    custodyKind: f.report === 'opened' && f.standing === null ? null : `unlock_${f.report}`,
  };
}

/** Custody records of a repeating alarm: one when it is raised, then at most one per `everyMs`. */
export function alarmCustodyDue(a: { raisedNow: boolean; custodyAt: Date | null; at: Date; everyMs: number }): boolean {
  if (a.raisedNow || a.custodyAt === null) return true;
  return a.at.getTime() - a.custodyAt.getTime() >= a.everyMs;
}
