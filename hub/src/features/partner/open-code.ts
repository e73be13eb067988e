// The partner's open-code at rest. Unlike the hub's own codes (kept only as keyed hashes: the hub
// checks them), a partner's code is checked by the partner, and the hub must be able to show it to
// its applicant again until the deposit. So it is encrypted with AES-256-GCM under a key derived
// (HKDF-SHA256) from the hub's code key, with the parcel id as associated data: a database copy
// shows no code, and a ciphertext moved to another parcel does not decrypt. See ADR 0007.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const INFO = 'xinbao partner open-code v1';

export class OpenCodeCipher {
  private readonly key: Buffer;

  /** `info` names what the key seals (a courier visit's code has its own key: ADR 0023). */
  constructor(codeHashKey: Buffer, info = INFO) {
    this.key = Buffer.from(hkdfSync('sha256', codeHashKey, Buffer.alloc(0), info, 32));
  }

  seal(parcelId: string, code: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(parcelId));
    const body = Buffer.concat([cipher.update(code, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  /** The code, or null when the box was not sealed for this parcel under this key. */
  open(parcelId: string, sealed: Buffer): string | null {
    if (sealed.length <= IV_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(parcelId));
      decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
