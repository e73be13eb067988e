// Which action applies to which exception, decided before anything is written (ADR 0022); when a
// picked-up parcel is overdue at the hall; how names and phones are masked.
import { describe, expect, it } from '@jest/globals';
import { EXCEPTION_KINDS, judgeExceptionAction, neverReceived, type ExceptionAction, type ExceptionKind } from './exceptions.js';
import { maskName, maskPhone } from './masking.js';

describe('judgeExceptionAction', () => {
  const open = (kind: ExceptionKind) => ({ kind, closed: false });

  it.each<[ExceptionKind, ExceptionAction, string | undefined, string]>([
    ['courier_failed', 'retry', undefined, 'retry_pickup'],
    ['unlock_jammed', 'reassign', undefined, 'reassign_compartment'],
    ['unlock_jammed', 'contact', 'called the applicant', 'record'],
    ['never_received', 'contact', undefined, 'record'],
    ['code_expired', 'close', 'applicant applied again', 'close'],
    ['partner_failed', 'close', '  checked at the locker ', 'close'],
  ])('%s + %s (note %p) → %s', (kind, action, note, effect) => {
    expect(judgeExceptionAction(open(kind), action, note)).toEqual({ ok: true, effect });
  });

  it.each<[ExceptionKind, ExceptionAction, string | undefined, number, string]>([
    ['code_expired', 'close', undefined, 400, 'note_required'],
    ['code_expired', 'close', '   ', 400, 'note_required'],
    ['unlock_unconfirmed', 'reassign', undefined, 409, 'not_applicable'],
    ['never_received', 'reassign', undefined, 409, 'not_applicable'],
    ['unlock_jammed', 'retry', undefined, 409, 'not_applicable'],
    ['code_expired', 'retry', undefined, 409, 'not_applicable'],
    ['unannounced_parcel', 'retry', undefined, 409, 'not_applicable'],
  ])('%s + %s (note %p) is refused %i %s', (kind, action, note, status, code) => {
    expect(judgeExceptionAction(open(kind), action, note)).toMatchObject({ ok: false, status, code });
  });

  it('refuses every action on a closed exception, whatever its kind', () => {
    for (const kind of EXCEPTION_KINDS) {
      for (const action of ['retry', 'reassign', 'contact', 'close'] as const) {
        expect(judgeExceptionAction({ kind, closed: true }, action, 'a note')).toMatchObject({
          ok: false,
          status: 409,
          code: 'exception_closed',
        });
      }
    }
  });
});

describe('neverReceived', () => {
  const pickedUp = new Date('2026-12-01T08:00:00Z');
  it.each([
    ['2026-12-01T11:59:59Z', 4, false],
    ['2026-12-01T12:00:00Z', 4, true],
    ['2026-12-01T09:00:00Z', 1, true],
    ['2026-12-01T08:29:00Z', 0.5, false],
  ])('at %s after %f h: %p', (now, hours, overdue) => {
    expect(neverReceived(pickedUp, new Date(now), hours)).toBe(overdue);
  });
});

describe('masking', () => {
  it.each([
    ['张三', '张*'],
    ['李四 (西安某贸易有限公司)', '李*'],
    ['  王五', '王*'],
    ['Alice', 'A*'],
    ['𠀋先生', '𠀋*'],
    ['', ''],
    [null, ''],
  ])('name %p → %p', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });
  it.each([
    ['13800005678', '尾号5678'],
    ['138-0000-5678', '尾号5678'],
    ['1234', '****'],
    [null, '****'],
  ])('phone %p → %p', (phone, masked) => {
    expect(maskPhone(phone)).toBe(masked);
  });
});
