// docs/lockboard-wire-formats.md stays true: every byte fixture of both lock-board families is in
// its tables under its own name with exactly its bytes, every hex vector the page shows decodes as a
// valid frame of its family, and the checksums it works out are the codecs'.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEightAFrame, decodeKerongFrame, eightAXor, kerongChecksum, toHex } from '@xinbao/protocol';
import { EightAFixtures } from '@xinbao/protocol/lockboard/eight-a.fixtures';
import { KerongFixtures } from '@xinbao/protocol/lockboard/kerong.fixtures';
import { REPO_ROOT } from '../support/processes.js';

const doc = readFileSync(join(REPO_ROOT, 'docs', 'lockboard-wire-formats.md'), 'utf8');
const section = (from: string, to: string): string => doc.slice(doc.indexOf(from), doc.indexOf(to));
const kerong = section('## A. KR-CU16', '## B. 8A');
const eightA = section('## B. 8A', '## What every driver does');

/** `| \`name\` | \`02 03 31 03 39\` |` rows: the table's name column and bytes column. */
const rows = (text: string): Array<[string, string]> =>
  [...text.matchAll(/^\| `(\w+)(?:\(\d+\))?`[^|]*\| `([0-9A-F]{2}(?: [0-9A-F]{2})*)` \|/gm)].map((m) => [m[1]!, m[2]!]);
const bytes = (hex: string): Buffer => Buffer.from(hex.replace(/ /g, ''), 'hex');
const refused = new Set([
  'statusBoard0BadChecksum',
  'statusBoard0MissingByte',
  'noise',
  'statusBoard1Lock3BadXor',
  'allStatusBoard1BadXor',
  'allStatusTruncated',
]);

describe('docs/lockboard-wire-formats.md', () => {
  it('lists every KR-CU16 fixture with its exact bytes', () => {
    const listed = new Map(rows(kerong));
    for (const [name, fixture] of Object.entries(KerongFixtures))
      expect({ name, hex: listed.get(name) }).toEqual({ name, hex: toHex(fixture) });
  });

  it('lists every 8A fixture with its exact bytes', () => {
    const listed = new Map(rows(eightA));
    for (const [name, fixture] of Object.entries(EightAFixtures))
      expect({ name, hex: listed.get(name) }).toEqual({ name, hex: toHex(fixture) });
  });

  it('shows only vectors that decode, but for the ones it lists as refused', () => {
    const check = (listed: Array<[string, string]>, decode: (b: Buffer) => unknown) => {
      let valid = 0;
      for (const [name, hex] of listed) {
        expect({ name, decodes: decode(bytes(hex)) !== null }).toEqual({ name, decodes: !refused.has(name) });
        if (!refused.has(name)) valid++;
      }
      return valid;
    };
    // the KR-CU16 tables also show three encoder-made frames: 0x33, 0x39 and the rig's compartment 16
    expect(check(rows(kerong), (b) => decodeKerongFrame(b))).toBe(Object.keys(KerongFixtures).length - 3 + 3);
    expect(
      check(rows(eightA), (b) =>
        decodeEightAFrame(b, [
          b[0] === 0x8a ? 'open' : b.length === 8 ? 'all-status' : b[3] === 0x33 ? 'query' : b[3] === 0x99 ? 'find-address' : 'lock-status',
        ]),
      ),
    ).toBe(Object.keys(EightAFixtures).length - 4);
  });

  it('works out the checksums the codecs compute', () => {
    const reply = KerongFixtures.statusBoard0Lock3OpenItemIn5;
    expect(kerong).toContain(`253 & FF = ${toHex(Buffer.from([kerongChecksum(reply, reply.length - 1)]))}`);
    const open = EightAFixtures.openBoard1Lock1;
    expect(eightA).toContain(`= ${toHex(Buffer.from([eightAXor(open, 4)]))}  1001 1011  → XX`);
  });
});
