// What a test does at an own kiosk from outside its processes: type a code (and its second factor,
// ADR 0018) on the agent's local API, and read the unlock frames the KR-CU16 board simulator received.
import { eventually } from './eventually.js';
import type { Json } from './http.js';

/** POST /api/code on the kiosk agent's local API, as the touch screen does; its JSON answer. */
export async function typeCode(kioskUrl: string, code: string, factor: string | null | undefined): Promise<Json> {
  const res = await fetch(`${kioskUrl}/api/code`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, factor: factor ?? undefined }),
  });
  return (await res.json()) as Json;
}

/** The KR-CU16 unlock frames (command 0x31) the board simulator received, in order, as lower-case hex. */
export async function kerongUnlockFrames(controlUrl: string): Promise<string[]> {
  const r = (await (await fetch(`${controlUrl}/frames`)).json()) as { frames: Array<{ hex: string }> };
  return r.frames.map((f) => f.hex.toLowerCase()).filter((h) => h.split(' ')[2] === '31');
}

/**
 * Waits until the kiosk's code book holds everything the hub has changed for its site up to now
 * (its cursor has reached the site's code version): a code changed behind the kiosk's back (a test
 * moving an expiry in the database) is then judged by the book as the hub would (ADR 0030).
 */
export async function bookCaughtUp(kioskUrl: string, siteVersion: () => Promise<number>): Promise<void> {
  const target = await siteVersion();
  await eventually(async () => {
    const status = (await (await fetch(`${kioskUrl}/api/status`)).json()) as Json;
    return Number(status.offlineCodes?.cursor ?? -1) >= target;
  }, `the kiosk's code book at version ${target}`);
}

/** The KR-CU16 unlock frame for a compartment on board 0 (lock = compartment − 1). */
export function unlockHex(compartment: number): string {
  const lock = compartment - 1;
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `02 ${hex(lock)} 31 03 ${hex((0x02 + lock + 0x31 + 0x03) & 0xff)}`;
}
