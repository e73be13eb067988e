import { describe, expect, it } from '@jest/globals';
import { HttpControllerFixtures as F } from './http-controller.fixtures.js';
import {
  ControllerErrorReply,
  ControllerLocksReply,
  ControllerOpenReply,
  REQUEST_ID_PATTERN,
  lockControllerPaths,
} from './http-controller.js';

describe('network lock controller contract', () => {
  it('accepts the documented answers', () => {
    expect(ControllerLocksReply.parse(F.locksFour)).toEqual(F.locksFour);
    expect(ControllerOpenReply.parse(F.openLock2('0190f1d2-7c4e-7a00-8000-000000000001')).lock.door).toBe('open');
    expect(ControllerErrorReply.parse(F.unauthorized).error.code).toBe('unauthorized');
  });

  it('refuses answers that are not as documented', () => {
    expect(ControllerLocksReply.safeParse(F.locksWithoutDoor).success).toBe(false);
    expect(ControllerLocksReply.safeParse(F.locksAjar).success).toBe(false);
    expect(() => JSON.parse(F.locksCutShort) as unknown).toThrow(SyntaxError);
    expect(ControllerOpenReply.safeParse({ ...F.openLock2('x'), duplicate: 'no' }).success).toBe(false);
  });

  it('names its paths and request ids', () => {
    expect(lockControllerPaths.locks).toBe('/api/v1/locks');
    expect(lockControllerPaths.open(7)).toBe('/api/v1/locks/7/open');
    expect(REQUEST_ID_PATTERN.test('0190f1d2-7c4e-7a00-8000-000000000001')).toBe(true);
    expect(REQUEST_ID_PATTERN.test('')).toBe(false);
    expect(REQUEST_ID_PATTERN.test('a b')).toBe(false);
  });
});
