// Distances on the WGS84 sphere and a grid index for "sites within r metres of a point": cells of
// about 1 km, so a 5 km query over 100,000 sites looks at a few thousand candidates, not all.
const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;
const M_PER_DEG_LAT = (Math.PI * EARTH_RADIUS_M) / 180;

export function distanceMeters(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLng = (lng2 - lng1) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

export interface Located {
  lat: number;
  lng: number;
}

export class GridIndex<T extends Located> {
  private readonly cells = new Map<string, T[]>();

  constructor(
    items: Iterable<T>,
    private readonly cellDeg = 0.01,
  ) {
    for (const it of items) {
      const key = this.key(Math.floor(it.lat / cellDeg), Math.floor(it.lng / cellDeg));
      const cell = this.cells.get(key);
      if (cell) cell.push(it);
      else this.cells.set(key, [it]);
    }
  }

  /** Items within radiusM of the point, nearest first, with their distance. */
  within(lat: number, lng: number, radiusM: number, accept: (item: T) => boolean = () => true): Array<{ item: T; distanceM: number }> {
    const dLat = radiusM / M_PER_DEG_LAT;
    const dLng = radiusM / (M_PER_DEG_LAT * Math.max(0.01, Math.cos(lat * RAD)));
    const [r0, r1] = [Math.floor((lat - dLat) / this.cellDeg), Math.floor((lat + dLat) / this.cellDeg)];
    const [c0, c1] = [Math.floor((lng - dLng) / this.cellDeg), Math.floor((lng + dLng) / this.cellDeg)];
    const found: Array<{ item: T; distanceM: number }> = [];
    const visit = (cell: readonly T[] | undefined) => {
      for (const item of cell ?? []) {
        const distanceM = distanceMeters(lat, lng, item.lat, item.lng);
        if (distanceM <= radiusM && accept(item)) found.push({ item, distanceM });
      }
    };
    if ((r1 - r0 + 1) * (c1 - c0 + 1) > this.cells.size) {
      for (const cell of this.cells.values()) visit(cell);
    } else {
      for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) visit(this.cells.get(this.key(r, c)));
    }
    return found.sort((a, b) => a.distanceM - b.distanceM);
  }

  private key(row: number, col: number): string {
    return `${row}:${col}`;
  }
}
