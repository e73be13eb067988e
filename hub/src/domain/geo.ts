// Geometry for the nearby search: the latitude/longitude box that holds every point within a radius,
// and the point at a distance and bearing (for tests and benchmarks). The haversine distance itself
// is defined once, in the protocol package. Coordinates are WGS84 degrees.
import { EARTH_RADIUS_M, haversineM, type LatLng } from '@xinbao/protocol';

export { EARTH_RADIUS_M, haversineM, type LatLng };

const RAD = Math.PI / 180;

export interface LatLngBox {
  minLat: number;
  maxLat: number;
  minLng: number;
  maxLng: number;
}

/**
 * The smallest latitude/longitude box holding every point within radiusM of the centre. The
 * longitude half-width is the spherical cap's widest extent, asin(sin(r/R) / cos(lat)), which is a
 * little wider than r/R/cos(lat) measured along the centre's parallel. At 34° N a 5 km radius gives
 * ±0.0450° of latitude and ±0.0544° of longitude. Near a pole the box spans every longitude; a box
 * that crosses the antimeridian keeps longitudes beyond ±180 (callers in one city never see one).
 */
export function boundingBox(center: LatLng, radiusM: number): LatLngBox {
  const angle = radiusM / EARTH_RADIUS_M;
  const dLat = angle / RAD;
  const minLat = center.lat - dLat;
  const maxLat = center.lat + dLat;
  if (minLat <= -90 || maxLat >= 90 || angle >= Math.PI / 2) {
    return { minLat: Math.max(-90, minLat), maxLat: Math.min(90, maxLat), minLng: -180, maxLng: 180 };
  }
  const ratio = Math.sin(angle) / Math.cos(center.lat * RAD);
  const dLng = ratio >= 1 ? 180 : Math.asin(ratio) / RAD;
  return { minLat, maxLat, minLng: center.lng - dLng, maxLng: center.lng + dLng };
}

export const isInBox = (p: LatLng, box: LatLngBox): boolean =>
  p.lat >= box.minLat && p.lat <= box.maxLat && p.lng >= box.minLng && p.lng <= box.maxLng;

/** The point at a distance and initial bearing (degrees clockwise from north) from a start, on the same sphere. */
export function destinationPoint(from: LatLng, bearingDeg: number, distanceM: number): LatLng {
  const d = distanceM / EARTH_RADIUS_M,
    b = bearingDeg * RAD,
    φ1 = from.lat * RAD,
    λ1 = from.lng * RAD;
  const φ2 = Math.asin(Math.sin(φ1) * Math.cos(d) + Math.cos(φ1) * Math.sin(d) * Math.cos(b));
  const λ2 = λ1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(φ1), Math.cos(d) - Math.sin(φ1) * Math.sin(φ2));
  return { lat: φ2 / RAD, lng: λ2 / RAD };
}
