import { describe, expect, it } from '@jest/globals';
import { latestPerSite, siteChange, type PartnerSite, type StoredPartnerSite } from './site-registry.js';

const record = (over: Partial<PartnerSite> = {}): PartnerSite => ({
  network: 'sudiyi',
  externalId: 'X1',
  name: '速递易 曲江池小区',
  address: '雁塔区曲江池东路 1 号',
  district: '雁塔区',
  lat: 34.2,
  lng: 108.98,
  online: true,
  capacity: [
    { size: 'S', total: 20, free: 3 },
    { size: 'M', total: 10, free: 0 },
  ],
  updatedAt: new Date('2024-06-01T08:00:00Z'),
  ...over,
});
const stored = (over: Partial<StoredPartnerSite> = {}): StoredPartnerSite => ({ ...record(), id: 'site-1', retired: false, ...over });

describe('site registry changes', () => {
  it('inserts what is new and leaves alone what says the same', () => {
    expect(siteChange(undefined, record())).toEqual({ kind: 'insert', record: record() });
    expect(siteChange(stored(), record())).toEqual({ kind: 'unchanged' });
    // the same capacity in another order, or a newer time stamp alone, is still no change
    expect(
      siteChange(stored(), record({ capacity: [...record().capacity].reverse(), updatedAt: new Date('2024-06-02T00:00:00Z') })),
    ).toEqual({ kind: 'unchanged' });
  });
  it('updates a changed field or capacity, and says whether the capacity changed', () => {
    expect(siteChange(stored(), record({ online: false }))).toMatchObject({
      kind: 'update',
      id: 'site-1',
      fieldsChanged: true,
      capacityChanged: false,
    });
    expect(siteChange(stored(), record({ lat: 34.2000001 }))).toMatchObject({
      kind: 'update',
      fieldsChanged: true,
      capacityChanged: false,
    });
    expect(
      siteChange(
        stored(),
        record({
          capacity: [
            { size: 'S', total: 20, free: 2 },
            { size: 'M', total: 10, free: 0 },
          ],
        }),
      ),
    ).toMatchObject({ kind: 'update', fieldsChanged: false, capacityChanged: true });
    expect(siteChange(stored(), record({ capacity: [{ size: 'S', total: 20, free: 3 }] }))).toMatchObject({
      kind: 'update',
      fieldsChanged: false,
      capacityChanged: true,
    });
  });
  it('ignores a record older than the stored one, and restores a retired site', () => {
    expect(siteChange(stored(), record({ name: 'old name', updatedAt: new Date('2024-05-01T00:00:00Z') }))).toEqual({ kind: 'stale' });
    expect(siteChange(stored({ retired: true }), record())).toMatchObject({ kind: 'update', fieldsChanged: true, capacityChanged: false });
    expect(siteChange(stored({ updatedAt: null }), record({ updatedAt: new Date(0) }))).toEqual({ kind: 'unchanged' });
  });
  it('keeps the newest record of a site seen twice', () => {
    const older = record({ name: 'older', updatedAt: new Date('2024-01-01T00:00:00Z') });
    const newer = record({ name: 'newer' });
    const other = record({ externalId: 'X2' });
    expect(latestPerSite([newer, older, other]).map((r) => r.name)).toEqual(['newer', other.name]);
    expect(latestPerSite([older, newer]).map((r) => r.name)).toEqual(['newer']);
    expect(latestPerSite([record({ network: 'other' }), record()])).toHaveLength(2);
  });
});
