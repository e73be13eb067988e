// What a test does at an own kiosk from outside its processes: type a code (and its second factor,
// ADR 0018) on the agent's local API, and read the unlock frames the KR-CU16 board simulator received.
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

/** The KR-CU16 unlock frame for a compartment on board 0 (lock = compartment − 1). */
export function unlockHex(compartment: number): string {
  const lock = compartment - 1;
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `02 ${hex(lock)} 31 03 ${hex((0x02 + lock + 0x31 + 0x03) & 0xff)}`;
}
