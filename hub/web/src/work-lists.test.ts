// The work lists' logic without a browser: grouping by site, the time waited and the exceptions
// page's times and details in both languages, and that both dictionaries name every state, reason
// and exception kind the hub sends to these pages.
import { describe, expect, it } from '@jest/globals';
import { FAILURE_REASONS, type CourierTask } from './api.js';
import { en, type MessageKey } from './i18n/en.js';
import { translator } from './i18n/index.js';
import { zhCN } from './i18n/zh-CN.js';
import { bySite, detailText, hallDateTime, waited } from './work-lists.js';

const site = (code: string) => ({ code, name: `${code} name`, address: `${code} address`, mapUrl: `https://example.test/${code}` });
const task = (visitId: string, siteCode: string, kind: CourierTask['kind'] = 'pickup'): CourierTask => ({
  visitId,
  kind,
  place: 'site',
  site: site(siteCode),
  contact: null,
  code: '12345678',
  pin: null,
  qr: 'XB1.x.y',
  parcels: [],
  status: 'dispatched',
});

describe('work lists', () => {
  it('groups tasks by site in the order each site first comes, keeping the tasks in order', () => {
    const groups = bySite([task('v1', 'hall'), task('v2', 'second'), task('d1', 'hall', 'delivery')]);
    expect(groups.map((g) => [g.site.code, g.tasks.map((t) => t.visitId)])).toEqual([
      ['hall', ['v1', 'd1']],
      ['second', ['v2']],
    ]);
    expect(bySite([])).toEqual([]);
  });

  it('says the time waited in minutes, then in hours and minutes, in both languages', () => {
    expect(waited(0, translator('zh-CN'))).toBe('已等待 0 分钟');
    expect(waited(59, translator('en'))).toBe('waited 59 min');
    expect(waited(60, translator('en'))).toBe('waited 1 h 0 min');
    expect(waited(135, translator('zh-CN'))).toBe('已等待 2 小时 15 分钟');
  });

  it("shows times on the hall's clock (UTC+8), across midnight too", () => {
    expect(hallDateTime('2026-12-01T02:42:00Z')).toBe('2026-12-01 10:42');
    expect(hallDateTime('2026-12-01T17:05:00Z')).toBe('2026-12-02 01:05');
  });

  it("puts a cause's plain facts in one line and leaves nested ones out", () => {
    expect(detailText({ reason: 'cannot_open', via: 'pda', compartment: 7, nested: { a: 1 }, none: null })).toBe(
      'reason: cannot_open · via: pda · compartment: 7',
    );
    expect(detailText({})).toBe('');
  });

  it('has words in both languages for every state, reason, kind and refusal these pages show', () => {
    const keys = [
      ...['to_collect', 'to_deliver', 'door_open', 'picked_up', 'missing_at_pickup', 'left_in_locker', 'door_not_opened'].map(
        (s) => `parcelState.${s}`,
      ),
      ...['received_at_hall', 'accepted'].map((s) => `parcelState.${s}`),
      ...[...FAILURE_REASONS, 'recipient_absent', 'address_wrong'].map((r) => `reason.${r}`),
      ...['unannounced_parcel', 'never_received', 'damaged', 'wrong_envelope', 'courier_failed', 'missing_at_pickup'].map(
        (k) => `exceptionKind.${k}`,
      ),
      ...['unlock_jammed', 'unlock_unconfirmed', 'code_expired', 'partner_failed'].map((k) => `exceptionKind.${k}`),
      ...['applicant', 'courier', 'staff', 'admin', 'kiosk', 'system', 'partner'].map((a) => `actor.${a}`),
      ...['not_accepted', 'already_decided', 'already_accepted', 'not_received', 'no_inbound_parcel'].map((c) => `refusal.${c}`),
      ...['no_free_compartment', 'no_return_site', 'no_return_address', 'not_found', 'note_required', 'exception_closed'].map(
        (c) => `refusal.${c}`,
      ),
      ...['home', 'intake', 'queue', 'exceptions', 'courier'].map((p) => `page.${p}`),
    ];
    for (const key of keys) {
      expect([key, key in en]).toEqual([key, true]);
      expect(zhCN[key as MessageKey]).toBeTruthy();
      expect(zhCN[key as MessageKey]).not.toBe(en[key as MessageKey]);
    }
  });
});
