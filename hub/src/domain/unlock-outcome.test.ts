import { describe, expect, it } from '@jest/globals';
import { UNLOCK_OUTCOMES } from '@xinbao/protocol';
import { alarmCustodyDue, decideUnlock, type UnlockDecision, type UnlockFacts, type UnlockState } from './unlock-outcome.js';

const apply = (d: Partial<Extract<UnlockDecision, { kind: 'apply' }>> & { state: UnlockState }): UnlockDecision => ({
  kind: 'apply',
  code: 'keep',
  compartmentFault: false,
  resolveDoorCycle: false,
  raise: null,
  clear: [],
  custodyKind: `unlock_${d.state}`,
  ...d,
});
const first = (report: UnlockState): UnlockFacts => ({ standing: null, report, codeSpendable: false });
const after = (state: UnlockState, codeRestored: boolean, report: UnlockState, codeSpendable = true): UnlockFacts => ({
  standing: { state, codeRestored },
  report,
  codeSpendable,
});

describe('what an unlock report does to the code, the compartment and the alarms', () => {
  const table: Array<[string, UnlockFacts, UnlockDecision]> = [
    // the first report of a command
    [
      'opened: the door cycle goes on, nothing else',
      first('opened'),
      apply({ state: 'opened', clear: ['unlock_not_sent'], custodyKind: null }),
    ],
    [
      'jammed: out of service, cycle settled, code stays spent',
      first('jammed'),
      apply({ state: 'jammed', compartmentFault: true, resolveDoorCycle: true }),
    ],
    [
      'unconfirmed: a person is asked; no fault, cycle left open',
      first('unconfirmed'),
      apply({ state: 'unconfirmed', raise: 'unlock_unconfirmed' }),
    ],
    ['failed (older agents): cycle settled, no fault, no alarm', first('failed'), apply({ state: 'failed', resolveDoorCycle: true })],
    [
      'not_sent: the code is given back, an alarm',
      first('not_sent'),
      apply({ state: 'not_sent', code: 'restore', raise: 'unlock_not_sent' }),
    ],
    // repeats change nothing
    ...UNLOCK_OUTCOMES.map((o): [string, UnlockFacts, UnlockDecision] => [`${o} again`, after(o, o === 'not_sent', o), { kind: 'ignore' }]),
    ['answer again', after('answered_not_opened', true, 'answered_not_opened'), { kind: 'ignore' }],
    // late reports after a give-back
    [
      'opened after not_sent: spent again, alarm cleared',
      after('not_sent', true, 'opened'),
      apply({ state: 'opened', code: 'spend_again', clear: ['unlock_not_sent'] }),
    ],
    [
      'opened after not_sent, code used again since: an alarm instead',
      after('not_sent', true, 'opened', false),
      apply({ state: 'opened', raise: 'late_open_code_reused', clear: ['unlock_not_sent'] }),
    ],
    [
      'unconfirmed after not_sent: the frame went out after all, spent again and asked',
      after('not_sent', true, 'unconfirmed'),
      apply({ state: 'unconfirmed', code: 'spend_again', raise: 'unlock_unconfirmed' }),
    ],
    [
      'jammed after not_sent: the door never moved, the code stays given back',
      after('not_sent', true, 'jammed'),
      apply({ state: 'jammed', compartmentFault: true, resolveDoorCycle: true }),
    ],
    // weaker reports after stronger ones change nothing
    ['not_sent after opened', after('opened', false, 'not_sent'), { kind: 'ignore' }],
    ['not_sent after unconfirmed', after('unconfirmed', false, 'not_sent'), { kind: 'ignore' }],
    ['jammed after opened', after('opened', false, 'jammed'), { kind: 'ignore' }],
    ['unconfirmed after jammed', after('jammed', false, 'unconfirmed'), { kind: 'ignore' }],
    ['failed after unconfirmed', after('unconfirmed', false, 'failed'), { kind: 'ignore' }],
    ['a person after the sensors said jammed', after('jammed', false, 'answered_not_opened'), { kind: 'ignore' }],
    // evidence after unconfirmed
    [
      'opened after unconfirmed: the question is settled',
      after('unconfirmed', false, 'opened'),
      apply({ state: 'opened', clear: ['unlock_unconfirmed', 'unlock_not_sent'] }),
    ],
    [
      'jammed after unconfirmed',
      after('unconfirmed', false, 'jammed'),
      apply({ state: 'jammed', compartmentFault: true, resolveDoorCycle: true, clear: ['unlock_unconfirmed'] }),
    ],
    ['opened after jammed: the door did open', after('jammed', false, 'opened'), apply({ state: 'opened', clear: ['unlock_not_sent'] })],
    // a person's answer
    [
      'a person says it did not open: the code is given back',
      after('unconfirmed', false, 'answered_not_opened'),
      apply({ state: 'answered_not_opened', code: 'restore', clear: ['unlock_unconfirmed'] }),
    ],
    [
      'a person says it opened',
      after('unconfirmed', false, 'answered_opened'),
      apply({ state: 'answered_opened', clear: ['unlock_unconfirmed', 'unlock_not_sent'] }),
    ],
    [
      'the sensors after a person said it did not open: opened spends again',
      after('answered_not_opened', true, 'opened'),
      apply({ state: 'opened', code: 'spend_again', clear: ['unlock_not_sent'] }),
    ],
  ];
  it.each(table)('%s', (_name, facts, decision) => {
    expect(decideUnlock(facts)).toEqual(decision);
  });

  it('never restores and spends in one decision, and never changes a code on a repeat', () => {
    const states: UnlockState[] = [...UNLOCK_OUTCOMES, 'answered_opened', 'answered_not_opened'];
    for (const s of states)
      for (const r of states)
        for (const restored of [false, true])
          for (const spendable of [false, true]) {
            const d = decideUnlock(after(s, restored, r, spendable));
            if (s === r) expect(d).toEqual({ kind: 'ignore' });
            if (d.kind === 'apply' && d.code === 'restore') expect(restored).toBe(false);
            if (d.kind === 'apply' && d.code === 'spend_again') expect([restored, spendable]).toEqual([true, true]);
          }
  });
});

describe('custody records of a repeating alarm', () => {
  const at = new Date('2026-12-01T10:00:00Z');
  const minutes = (m: number) => new Date(at.getTime() - m * 60_000);
  it.each<[string, boolean, Date | null, boolean]>([
    ['raised now', true, minutes(1), true],
    ['never recorded', false, null, true],
    ['recorded a minute ago', false, minutes(1), false],
    ['recorded just under the limit ago', false, new Date(at.getTime() - 15 * 60_000 + 1), false],
    ['recorded the limit ago', false, minutes(15), true],
  ])('%s', (_name, raisedNow, custodyAt, due) => {
    expect(alarmCustodyDue({ raisedNow, custodyAt, at, everyMs: 15 * 60_000 })).toBe(due);
  });
});
