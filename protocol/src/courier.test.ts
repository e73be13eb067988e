// The courier order's shape (ADR 0037): at a site, or (a pickup only) from a person at an address,
// never both and never neither; an address pickup carries no code and no compartment.
import { describe, expect, it } from '@jest/globals';
import { CourierOrderRequest } from './courier.js';

const SITE = { code: 'own-hall', name: '港务区政务服务中心', address: '港务大道1号', district: '国际港务区', lat: 34.37, lng: 109.05 };
const HALL = { name: 'service hall', address: '港务大道1号' };
const ORIGIN = { name: '张*', address: '西安市雁塔区科技路10号3单元502室', phone: '尾号0001' };
const base = { orderId: '01920000-0000-7000-8000-000000000001', kind: 'pickup', trackingNumber: 'XB2612010000017', destination: HALL };

const issues = (o: unknown) => {
  const r = CourierOrderRequest.safeParse(o);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};

describe('courier order', () => {
  it('takes a pickup at a site (with its code) and a pickup from an address (with none)', () => {
    expect(issues({ ...base, site: SITE, code: '48213377', compartment: 3 })).toEqual([]);
    expect(issues({ ...base, origin: ORIGIN })).toEqual([]);
  });
  it('refuses an order at neither, at both, a delivery from an address, and a code or compartment at an address', () => {
    expect(issues(base)).toEqual(['site']);
    expect(issues({ ...base, site: SITE, origin: ORIGIN })).toEqual(['site']);
    expect(issues({ ...base, kind: 'delivery', origin: ORIGIN })).toEqual(['origin']);
    expect(issues({ ...base, origin: ORIGIN, code: '48213377', compartment: 3 })).toEqual(['code', 'compartment']);
    expect(issues({ ...base, origin: { ...ORIGIN, phone: undefined } })).toEqual(['origin.phone']);
  });
});
