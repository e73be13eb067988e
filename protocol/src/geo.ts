// Distances on the earth: the haversine great-circle distance on a sphere of the mean earth radius
// (the same formula, term for term, as haversine_m in the hub's migration 002), for every package
// that measures how far a site is. Coordinates are WGS84 degrees.
export const EARTH_RADIUS_M = 6_371_008.8;

export interface LatLng {
  lat: number;
  lng: number;
}

const RAD = Math.PI / 180;

/** Great-circle distance in metres between two points. */
export function haversineM(a: LatLng, b: LatLng): number {
  const h =
    Math.sin(((b.lat - a.lat) * RAD) / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(((b.lng - a.lng) * RAD) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(Math.min(1, h)));
}
