// The kiosk's book of its site's live codes, for judging a code while the hub is out of reach
// (ADR 0008). Filled from the hub's `codes:sync` replies: keypad codes as HMACs of the code with its
// second factor under the site's offline key (ADR 0018: neither the clear code nor phone digits are
// here, and a code opens on the keypad only with its factor), QR codes checked with the hub's public key (the kiosk
// never holds a signing key). Kept on disk (fsync'd JSON lines, compacted) so a kiosk restarted
// while the hub is down still knows its codes. Whether a code was already spent here is the
// journal's to say, not the book's.
import { createHmac, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CodeSyncReply, KeypadFactor, offlineKeypadInput, parseQrToken, type OfflineCode } from '@xinbao/protocol';

export type OfflineCheck =
  | { ok: true; code: OfflineCode }
  | { ok: false; refusal: 'code_invalid' | 'code_expired' | 'hub_unreachable'; message: string; code?: OfflineCode };

export interface OfflineCodeBookOptions {
  /** A QR public key from the kiosk's own configuration: used instead of the one the hub sends. */
  pinnedQrPublicKey?: KeyObject;
  /** Rewrite the file after this many appended syncs. */
  compactAfter?: number;
}

type Entry = { t: 'sync'; reply: CodeSyncReply };

export class OfflineCodeBook {
  private readonly file: string;
  private fd: number;
  private appended = 0;
  private site: { siteId: string; cursor: number; offlineKey: string; qrPublicKey: string; serverTime: string } | null = null;
  private key: Buffer | null = null;
  private qrKey: KeyObject | null = null;
  /** A delta did not fit: pull everything next time (the book stays usable meanwhile). */
  private needFull = false;
  private readonly codes = new Map<string, OfflineCode>();
  private readonly byHash = new Map<string, string>();
  /** When the book last heard from the hub (the kiosk's clock). */
  syncedAt: Date | null = null;

  constructor(
    dir: string,
    private readonly options: OfflineCodeBookOptions = {},
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'codes.jsonl');
    if (existsSync(this.file)) this.load();
    this.qrKey = options.pinnedQrPublicKey ?? this.qrKey;
    this.compact();
    this.fd = openSync(this.file, 'a', 0o600);
  }

  /** The cursor to pull with: null until a first full list arrived. */
  get cursor(): number | null {
    return this.needFull ? null : (this.site?.cursor ?? null);
  }

  get siteId(): string | null {
    return this.site?.siteId ?? null;
  }

  get size(): number {
    return this.codes.size;
  }

  /**
   * Takes in a sync reply and keeps it on disk. Returns false (and forgets its cursor, so the next
   * pull is a full one) for a delta that does not follow from what the book holds: another site,
   * or a site key that changed.
   */
  apply(input: unknown, now: Date): boolean {
    const parsed = CodeSyncReply.safeParse(input);
    if (!parsed.success) return false;
    const reply = parsed.data;
    if (!reply.full && (!this.site || this.site.siteId !== reply.siteId || this.site.offlineKey !== reply.offlineKey)) {
      this.needFull = true;
      return false;
    }
    this.needFull = false;
    this.take(reply, now);
    writeSync(this.fd, `${JSON.stringify({ t: 'sync', reply } satisfies Entry)}\n`);
    fdatasyncSync(this.fd);
    if (++this.appended >= (this.options.compactAfter ?? 1_000)) {
      closeSync(this.fd);
      this.compact();
      this.fd = openSync(this.file, 'a', 0o600);
    }
    this.syncedAt = now;
    return true;
  }

  /**
   * Judges a typed or scanned code against the book, at `now`, without the hub. A keypad code is
   * judged with its second factor (ADR 0018): a wrong factor finds nothing, like a wrong code.
   */
  check(via: 'keypad' | 'qr', code: string, now: Date, factor?: string): OfflineCheck {
    if (!this.site || !this.key)
      return { ok: false, refusal: 'hub_unreachable', message: 'the locker cannot reach the hub and has no codes to check against yet' };
    let entry: OfflineCode | undefined;
    if (via === 'keypad') {
      const id = KeypadFactor.safeParse(factor).success ? this.byHash.get(this.hash(code, factor!)) : undefined;
      entry = id === undefined ? undefined : this.codes.get(id);
      if (!entry) return { ok: false, refusal: 'code_invalid', message: 'no such code at this locker' };
    } else {
      const token = parseQrToken(code);
      if (!token || !this.qrKey || !verify(null, Buffer.from(token.signingInput), this.qrKey, token.signature)) {
        return { ok: false, refusal: 'code_invalid', message: 'this QR code is not one of ours' };
      }
      if (token.payload.sid !== this.site.siteId) return { ok: false, refusal: 'code_invalid', message: 'no such code at this locker' };
      if (token.payload.exp * 1000 <= now.getTime()) return { ok: false, refusal: 'code_expired', message: 'this code has expired' };
      entry = this.codes.get(token.payload.cid);
      if (!entry) return { ok: false, refusal: 'code_invalid', message: 'this code is not valid at this locker now' };
    }
    if (Date.parse(entry.expiresAt) <= now.getTime())
      return { ok: false, refusal: 'code_expired', message: 'this code has expired', code: entry };
    if (Date.parse(entry.validFrom) > now.getTime())
      return { ok: false, refusal: 'code_invalid', message: 'this code is not valid yet', code: entry };
    return { ok: true, code: entry };
  }

  close(): void {
    closeSync(this.fd);
  }

  private hash(code: string, factor: string): string {
    return createHmac('sha256', this.key!)
      .update(offlineKeypadInput(this.site!.siteId, code, factor))
      .digest('base64');
  }

  private take(reply: CodeSyncReply, now: Date): void {
    if (reply.full) {
      this.codes.clear();
      this.byHash.clear();
    }
    for (const id of reply.removed) this.forget(id);
    for (const c of reply.codes) {
      this.forget(c.codeId);
      this.codes.set(c.codeId, c);
      // Only a code with its second factor opens on the keypad; one without opens by its QR form.
      if (c.keypadHash) this.byHash.set(c.keypadHash, c.codeId);
    }
    for (const c of [...this.codes.values()]) if (Date.parse(c.expiresAt) <= now.getTime()) this.forget(c.codeId);
    const { siteId, cursor, offlineKey, qrPublicKey, serverTime } = reply;
    this.site = { siteId, cursor, offlineKey, qrPublicKey, serverTime };
    this.key = Buffer.from(offlineKey, 'base64');
    if (!this.options.pinnedQrPublicKey) this.qrKey = createPublicKey(qrPublicKey);
  }

  private forget(codeId: string): void {
    const c = this.codes.get(codeId);
    if (!c) return;
    this.codes.delete(codeId);
    if (c.keypadHash && this.byHash.get(c.keypadHash) === codeId) this.byHash.delete(c.keypadHash);
  }

  private load(): void {
    const epoch = new Date(0);
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let e: Entry;
      try {
        e = JSON.parse(line) as Entry;
      } catch {
        continue; // a torn last line from a power cut: the sync before it stands, the next pull repairs the rest
      }
      const r = CodeSyncReply.safeParse(e.reply);
      // Expired codes are dropped when they are checked, not while loading: the clock may be wrong at boot.
      if (r.success && (r.data.full || this.site?.siteId === r.data.siteId)) this.take(r.data, epoch);
    }
  }

  private compact(): void {
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    if (this.site) {
      const reply: CodeSyncReply = { ...this.site, full: true, codes: [...this.codes.values()], removed: [] };
      writeSync(fd, `${JSON.stringify({ t: 'sync', reply } satisfies Entry)}\n`);
    }
    fdatasyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
    this.appended = 0;
  }
}
