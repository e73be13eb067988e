import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_GAZETTEER_FILE, GazetteerFileError, loadGazetteer } from './gazetteer-file.js';

describe('gazetteer file', () => {
  it('loads the shipped file, which is valid and of this city', () => {
    const g = loadGazetteer();
    expect(g.city).toBe('西安市');
    expect(g.file.places.length).toBeGreaterThan(0);
    expect(DEFAULT_GAZETTEER_FILE).toMatch(/hub\/data\/gazetteer-xian\.json$/);
  });
  it('names the file and the problem when it cannot be used', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gazetteer-'));
    expect(() => loadGazetteer(join(dir, 'missing.json'))).toThrow(GazetteerFileError);
    writeFileSync(join(dir, 'broken.json'), '{"city":');
    expect(() => loadGazetteer(join(dir, 'broken.json'))).toThrow(/cannot read the gazetteer .*broken\.json/);
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({
        city: '西安市',
        datum: 'WGS84',
        version: 1,
        places: [{ id: 'a', name: 'x', kind: 'district', district: 'x', lat: 95, lng: 0 }],
      }),
    );
    expect(() => loadGazetteer(join(dir, 'bad.json'))).toThrow(/bad\.json is not valid:\n {2}places\.0\.lat/);
  });
});
