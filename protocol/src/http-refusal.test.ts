import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { schemaRefusalOf } from './http-refusal.js';

const Body = z.strictObject({
  name: z.string(),
  dropOff: z.discriminatedUnion('channel', [z.strictObject({ channel: z.literal('own'), siteId: z.string() })]),
});
const refusalOf = (input: unknown, what?: string) => {
  const r = Body.safeParse(input);
  if (r.success) throw new Error('expected a failure');
  return schemaRefusalOf(r.error.issues, what);
};

describe('schemaRefusalOf: the one mapping of a zod failure to the envelope', () => {
  it('an unknown field is unknown_field, named by its path, at the top and nested', () => {
    expect(refusalOf({ name: 'a', dropOff: { channel: 'own', siteId: 's' }, extra: 1 })).toMatchObject({
      status: 400,
      code: 'unknown_field',
      unknownFields: ['extra'],
      message: 'request body: unknown field "extra"; leave it out',
    });
    expect(refusalOf({ name: 'a', dropOff: { channel: 'own', siteId: 's', compartment: 3 } }, 'order')).toMatchObject({
      code: 'unknown_field',
      unknownFields: ['dropOff.compartment'],
      message: 'order: unknown field "dropOff.compartment"; leave it out',
    });
  });

  it('wins over other problems, and every unknown field is named (the first five in the message)', () => {
    const many = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`f${i}`, i]));
    const r = refusalOf({ name: 5, ...many });
    expect(r.code).toBe('unknown_field');
    expect(r.unknownFields).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6']);
    expect(r.message).toBe('request body: unknown fields "f0", "f1", "f2", "f3", "f4" and 2 more; leave them out');
    expect(r.details.map((d) => d.path)).toEqual(expect.arrayContaining(['name', '']));
  });

  it('anything else is bad_request with every reason', () => {
    const r = refusalOf({ name: 5, dropOff: { channel: 'own' } });
    expect(r).toMatchObject({ status: 400, code: 'bad_request' });
    expect(r.unknownFields).toBeUndefined();
    expect(r.message).toMatch(/^invalid request body: name: .*; dropOff\.siteId: /);
  });
});
