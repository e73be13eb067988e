// ESC/POS byte fixtures shared by the protocol, printer driver and printer simulator tests. Every
// byte is written out and commented so a test can be checked against the command table in
// escpos.ts without a manual at hand.

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

/** A tracking number in the hub's format (XB + 12 digits), 14 bytes of ASCII. */
export const FIXTURE_TRACKING_NUMBER = 'XB104829375161';

export const EscPosFixtures = {
  init: b(
    0x1b,
    0x40, // ESC @: initialise
    0x1c,
    0x26, // FS &: Chinese character mode
  ),
  alignCenter: b(0x1b, 0x61, 0x01), // ESC a 1
  boldOn: b(0x1b, 0x45, 0x01), // ESC E 1
  boldOff: b(0x1b, 0x45, 0x00), // ESC E 0
  size2x2: b(0x1d, 0x21, 0x11), // GS ! 0x11: width 2 (high nibble 1), height 2 (low nibble 1)
  size1x1: b(0x1d, 0x21, 0x00), // GS ! 0
  /** "单号" then LF: GB18030 单 = B5 A5, 号 = BA C5. */
  lineDanHao: b(0xb5, 0xa5, 0xba, 0xc5, 0x0a),
  /** "站点：港务区" then LF, in GB18030. */
  lineSiteZh: b(
    0xd5,
    0xbe, // 站
    0xb5,
    0xe3, // 点
    0xa3,
    0xba, // ： (full-width colon)
    0xb8,
    0xdb, // 港
    0xce,
    0xf1, // 务
    0xc7,
    0xf8, // 区
    0x0a, // LF
  ),
  feed3: b(0x1b, 0x64, 0x03), // ESC d 3
  cutPartial: b(0x1d, 0x56, 0x42, 0x00), // GS V 66 0: feed to the cutter, partial cut
  cutFull: b(0x1d, 0x56, 0x41, 0x00), // GS V 65 0: feed to the cutter, full cut
  cutFullNoFeed: b(0x1d, 0x56, 0x00), // GS V 0: full cut where the paper is
  /** A QR code of FIXTURE_TRACKING_NUMBER: model 2, 6-dot modules, error correction M. */
  qrTrackingNumber: b(
    0x1d,
    0x28,
    0x6b,
    0x04,
    0x00,
    0x31,
    0x41,
    0x32,
    0x00, // GS ( k pL=4 pH=0 cn=31 fn=41 (model) n1=32 (model 2) n2=0
    0x1d,
    0x28,
    0x6b,
    0x03,
    0x00,
    0x31,
    0x43,
    0x06, // GS ( k pL=3 cn=31 fn=43 (module size) 6 dots
    0x1d,
    0x28,
    0x6b,
    0x03,
    0x00,
    0x31,
    0x45,
    0x31, // GS ( k pL=3 cn=31 fn=45 (error correction) 31 = M
    0x1d,
    0x28,
    0x6b,
    0x11,
    0x00,
    0x31,
    0x50,
    0x30, // GS ( k pL=17 (14 data + 3) cn=31 fn=50 (store) m=30
    ...ascii(FIXTURE_TRACKING_NUMBER), //              the 14 data bytes
    0x1d,
    0x28,
    0x6b,
    0x03,
    0x00,
    0x31,
    0x51,
    0x30, // GS ( k pL=3 cn=31 fn=51 (print) m=30
  ),
  /** DLE EOT 4: real-time paper roll sensor status. */
  paperStatusQuery: b(0x10, 0x04, 0x04),
  /** Answers to DLE EOT 4 (fixed bits 0x12; 0x0C near end; 0x60 paper out). */
  paperPresent: b(0x12),
  paperNearEnd: b(0x1e),
  paperOut: b(0x7e),
  /** ESC 0x99 is no command: two bytes skipped; 0x07 (BEL) is no command either: one byte. */
  unknownSequences: b(0x1b, 0x99, 0x07),
  /** GS ( k for cn 30 (PDF417): well-formed, its length is known, but it is no QR code. */
  pdf417Store: b(0x1d, 0x28, 0x6b, 0x05, 0x00, 0x30, 0x50, 0x30, 0x41, 0x42), // pL=5: cn fn m 'A' 'B'
  /** GS v 0: a 1-byte-wide, 2-dot-high raster image (2 data bytes), skipped whole. */
  rasterImage: b(0x1d, 0x76, 0x30, 0x00, 0x01, 0x00, 0x02, 0x00, 0xff, 0x0a), // m=0 xL=1 xH=0 yL=2 yH=0, data FF 0A
} as const;
