// Distances on the WGS84 sphere and a grid index for "sites within r metres of a point": cells of
// about 1 km, so a 5 km query over 100,000 sites looks at a few thousand candidates, not all.
import { EARTH_RADIUS_M, haversineM } from '@xinbao/protocol';

const RAD = Math.PI / 180;
const M_PER_DEG_LAT = (Math.PI * EARTH_RADIUS_M) / 180;

export const distanceMeters = (lat1: number, lng1: number, lat2: number, lng2: number): number =>
  haversineM({ lat: lat1, lng: lng1 }, { lat: lat2, lng: lng2 });

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

  /**
   * The `limit` nearest items within radiusM, nearest first: visits rings of cells outwards and
   * stops once no unvisited cell can hold anything nearer than the limit-th found.
   */
  nearest(
    lat: number,
    lng: number,
    radiusM: number,
    limit: number,
    accept: (item: T) => boolean = () => true,
  ): Array<{ item: T; distanceM: number }> {
    const row0 = Math.floor(lat / this.cellDeg);
    const col0 = Math.floor(lng / this.cellDeg);
    // the narrowest a cell can be near here, less 1 % for the sphere's curvature
    const cellM =
      0.99 *
      this.cellDeg *
      M_PER_DEG_LAT *
      Math.max(0.01, Math.min(Math.cos((lat - this.cellDeg) * RAD), Math.cos((lat + this.cellDeg) * RAD)));
    const maxRing = Math.ceil(radiusM / cellM) + 1;
    const found: Array<{ item: T; distanceM: number }> = [];
    const visit = (row: number, col: number) => {
      for (const item of this.cells.get(this.key(row, col)) ?? []) {
        const distanceM = distanceMeters(lat, lng, item.lat, item.lng);
        if (distanceM <= radiusM && accept(item)) found.push({ item, distanceM });
      }
    };
    for (let ring = 0; ring <= maxRing; ring++) {
      if (ring === 0) visit(row0, col0);
      for (let d = -ring; d <= ring && ring > 0; d++) {
        visit(row0 - ring, col0 + d);
        visit(row0 + ring, col0 + d);
        if (d !== -ring && d !== ring) {
          visit(row0 + d, col0 - ring);
          visit(row0 + d, col0 + ring);
        }
      }
      // anything in ring + 1 or beyond is at least ring whole cells away
      if (found.length >= limit) {
        found.sort((a, b) => a.distanceM - b.distanceM);
        found.length = limit;
        if (found[limit - 1]!.distanceM <= ring * cellM) break;
      }
    }
    return found.sort((a, b) => a.distanceM - b.distanceM).slice(0, limit);
  }

  private key(row: number, col: number): string {
    return `${row}:${col}`;
  }
}
