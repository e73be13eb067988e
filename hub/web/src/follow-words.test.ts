// The applicant's words for where an application stands, without a browser: the status line from
// the decision, the pre-review and the parcels; a custody event's words; and that both dictionaries
// name every parcel state and every one-time notice problem the hub sends.
import { describe, expect, it } from '@jest/globals';
import { en, type MessageKey } from './i18n/en.js';
import { zhCN } from './i18n/zh-CN.js';
import { actorWords, eventWords, statusLine } from './follow-words.js';
import { maskPhone } from './mask.js';

const app = (status: string, prereview: string, parcels: Array<['inbound' | 'outbound', string]> = []) => ({
  status,
  prereview,
  parcels: parcels.map(([direction, state]) => ({ direction, state })),
});

describe('the applicant’s words', () => {
  it('says where an application stands, the furthest fact first', () => {
    expect(statusLine(app('submitted', 'pending'))).toBe('f.status.prereviewPending');
    expect(statusLine(app('submitted', 'returned'))).toBe('f.status.returned');
    expect(statusLine(app('submitted', 'passed'))).toBe('f.status.passed');
    expect(statusLine(app('submitted', 'accepted_pending'))).toBe('f.status.acceptedPending');
    expect(statusLine(app('submitted', 'passed', [['inbound', 'awaiting_deposit']]))).toBe('f.state.awaiting_deposit');
    expect(statusLine(app('submitted', 'passed', [['inbound', 'deposited']]))).toBe('f.state.deposited');
    // Approved: the result speaks, not the documents handed in.
    expect(statusLine(app('approved', 'passed', [['inbound', 'accepted']]))).toBe('f.status.approved');
    expect(
      statusLine(
        app('approved', 'passed', [
          ['inbound', 'accepted'],
          ['outbound', 'in_locker'],
        ]),
      ),
    ).toBe('f.state.in_locker');
    expect(statusLine(app('rejected', 'passed', [['inbound', 'accepted']]))).toBe('f.status.rejected');
  });

  it('names custody events by their own words, else by the state they led to, and actors by role', () => {
    expect(eventWords({ kind: 'deposit_code_used', toState: 'awaiting_deposit' })).toBe('f.kind.deposit_code_used');
    expect(eventWords({ kind: 'deposited', toState: 'deposited' })).toBe('f.state.deposited');
    expect(eventWords({ kind: 'something_new', toState: 'state_unheard_of' })).toBe('f.kind.other');
    expect(actorWords('courier')).toBe('actor.courier');
    expect(actorWords('robot')).toBe('actor.system');
  });

  it('masks a phone’s middle digits, and leaves one masked already as it is', () => {
    expect(maskPhone('13800000001')).toBe('138****0001');
    expect(maskPhone('138****0001')).toBe('138****0001');
  });

  it('has words in both languages for every parcel state and every notice problem', () => {
    // hub/src/domain/parcel-journey.ts's INBOUND_STATES and OUTBOUND_STATES (the web app imports nothing of the hub's)
    const states = [
      ...['reserving', 'reservation_failed', 'awaiting_deposit', 'deposited', 'pickup_ordered', 'picked_up', 'received_at_hall'],
      ...['accepted', 'deposit_expired', 'missing_at_pickup', 'rejected_at_intake', 'result_ready', 'delivery_ordered'],
      ...['out_for_delivery', 'in_locker', 'collected', 'mailed', 'delivered', 'at_counter', 'returning', 'returned_to_hall'],
    ];
    const keys = [
      ...states.map((s) => `f.state.${s}`),
      ...['missing', 'wrong', 'incomplete', 'expired', 'unsigned'].map((p) => `f.problem.${p}`),
    ];
    for (const k of keys) {
      expect([k, k in en]).toEqual([k, true]);
      expect([k, zhCN[k as MessageKey]]).toEqual([k, expect.any(String)]);
    }
  });
});
