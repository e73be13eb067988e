// The web app's map settings (ADR 0035) through the running hub: GET /api/config/web answers anyone
// with the tile URL template (none by default: the page draws its schematic) and the nearby radius;
// a configured tile server's origin, and only it, joins the page's img-src; a tile URL that is not a
// template is refused when the configuration loads.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '@xinbao/hub/config';
import { startTestHub, type TestHub } from '../support/hub.js';

const imgSrc = (csp: string) => /img-src ([^;]*)/.exec(csp)?.[1]?.trim();

describe('GET /api/config/web', () => {
  let plain: TestHub;
  let tiled: TestHub;

  beforeAll(async () => {
    plain = await startTestHub();
    tiled = await startTestHub({
      db: plain.db,
      env: {
        TILE_URL: 'https://{s}.tiles.example.org/osm/{z}/{x}/{y}.png',
        TILE_ATTRIBUTION: '© OpenStreetMap contributors',
        NEARBY_RADIUS_M: '3000',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await tiled?.stop();
    await plain?.stop();
  });

  it('has no tile server by default: the map is the schematic, and images come only from the hub', async () => {
    const r = await fetch(`${plain.url}/api/config/web`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ map: { tileUrl: null, tileAttribution: '', nearbyRadiusM: 5000 } });
    expect(imgSrc(r.headers.get('content-security-policy') ?? '')).toBe("'self' data:");
  });

  it('tells the page a configured tile server, whose origin (subdomains as *) joins img-src', async () => {
    const r = await fetch(`${tiled.url}/api/config/web`);
    expect(await r.json()).toEqual({
      map: {
        tileUrl: 'https://{s}.tiles.example.org/osm/{z}/{x}/{y}.png',
        tileAttribution: '© OpenStreetMap contributors',
        nearbyRadiusM: 3000,
      },
    });
    const page = await fetch(`${tiled.url}/`, { headers: { accept: 'text/html' } });
    expect(imgSrc(page.headers.get('content-security-policy') ?? '')).toBe("'self' data: https://*.tiles.example.org");
  });

  it('refuses a tile URL that is not an http(s) template with {z}, {x} and {y}', () => {
    const base = { DATABASE_URL: 'postgres://u@127.0.0.1:5432/x' };
    expect(loadConfig({ ...base, TILE_URL: '' }).webMap.tileUrl).toBeNull();
    for (const bad of ['tiles.example.org/{z}/{x}/{y}.png', 'https://tiles.example.org/tile.png', 'javascript:alert(1)//{z}{x}{y}'])
      expect(() => loadConfig({ ...base, TILE_URL: bad })).toThrow(ConfigError);
  });
});
