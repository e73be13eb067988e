// 8A byte fixtures shared by the protocol, driver and simulator tests. Every byte is written out
// and commented so a reader can check a test against LOCKBOARD.md section B without a
// calculator. `lock` is the wire lock number 1–32 (see the numbering note in eight-a.ts).
// Every vector here, an all-status reply bit by bit and an XOR worked out: docs/lockboard-wire-formats.md (B).

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);

export const EightAFixtures = {
  /** LOCKBOARD.md verbatim: open board 1, lock 1. */
  openBoard1Lock1: b(
    0x8a, // HEAD: open
    0x01, // BOARD 1
    0x01, // LOCK 1
    0x11, // CMD: open
    0x9b, // XOR: 8A^01^01^11 = 9B
  ),
  openBoard1Lock3: b(
    0x8a, // HEAD: open
    0x01, // BOARD 1
    0x03, // LOCK 3
    0x11, // CMD: open
    0x99, // XOR: 8A^01^03^11 = 99
  ),
  openBoard2Lock32: b(
    0x8a, // HEAD: open
    0x02, // BOARD 2
    0x20, // LOCK 32
    0x11, // CMD: open
    0xb9, // XOR: 8A^02^20^11 = B9
  ),
  queryBoard1Lock3: b(
    0x80, // HEAD: query
    0x01, // BOARD 1
    0x03, // LOCK 3
    0x33, // CMD: query
    0xb1, // XOR: 80^01^03^33 = B1
  ),
  queryAllBoard1: b(
    0x80, // HEAD: query
    0x01, // BOARD 1
    0x00, // LOCK 0: every door
    0x33, // CMD: query
    0xb2, // XOR: 80^01^00^33 = B2
  ),
  queryAllBoard2: b(
    0x80, // HEAD: query
    0x02, // BOARD 2
    0x00, // LOCK 0: every door
    0x33, // CMD: query
    0xb1, // XOR: 80^02^00^33 = B1
  ),
  /** LOCKBOARD.md verbatim. */
  findAddress: b(
    0x80, // HEAD
    0x01, // BOARD 1 (fixed in the vendor frame)
    0x00, // LOCK 0
    0x99, // CMD: find address
    0x18, // XOR: 80^01^00^99 = 18
  ),
  /** Assumed reply to findAddress from a board whose DIP switches say 5 (see encodeEightAAddressReply). */
  addressReplyBoard5: b(
    0x80, // HEAD: reply
    0x05, // BOARD 5: the answer
    0x00, // LOCK 0
    0x99, // CMD: find address, echoed
    0x1c, // XOR: 80^05^00^99 = 1C
  ),
  /** Reply to openBoard1Lock1 once the latch moved: bit set (door open with the default wiring). */
  statusBoard1Lock1Set: b(
    0x80, // HEAD: reply
    0x01, // BOARD 1
    0x01, // LOCK 1
    0x11, // SS: bit set
    0x91, // XOR: 80^01^01^11 = 91
  ),
  statusBoard1Lock1Clear: b(
    0x80, // HEAD: reply
    0x01, // BOARD 1
    0x01, // LOCK 1
    0x00, // SS: bit clear
    0x80, // XOR: 80^01^01^00 = 80 (the same value as HEAD)
  ),
  statusBoard1Lock3Set: b(
    0x80, // HEAD: reply
    0x01, // BOARD 1
    0x03, // LOCK 3
    0x11, // SS: bit set
    0x93, // XOR: 80^01^03^11 = 93
  ),
  statusBoard1Lock3Clear: b(
    0x80, // HEAD: reply
    0x01, // BOARD 1
    0x03, // LOCK 3
    0x00, // SS: bit clear
    0x82, // XOR: 80^01^03^00 = 82
  ),
  /** statusBoard1Lock3Set with its XOR off by one. */
  statusBoard1Lock3BadXor: b(
    0x80, // HEAD: reply
    0x01, // BOARD 1
    0x03, // LOCK 3
    0x11, // SS: bit set
    0x94, // XOR: wrong (should be 93)
  ),
  /** Query-all reply, board 1: every bit clear. */
  allStatusBoard1AllClear: b(
    0x80, // HEAD: reply
    0x01, // BOARD 1
    0x00, // D4: doors 25–32
    0x00, // D3: doors 17–24
    0x00, // D2: doors 9–16
    0x00, // D1: doors 1–8
    0x33, // CMD: query
    0xb2, // XOR: 80^01^00^00^00^00^33 = B2
  ),
  allStatusBoard1Lock1Set: b(
    0x80, // HEAD: reply
    0x01, // BOARD 1
    0x00, // D4: doors 25–32 clear
    0x00, // D3: doors 17–24 clear
    0x00, // D2: doors 9–16 clear
    0x01, // D1: 0000 0001 → door 1 set
    0x33, // CMD: query
    0xb3, // XOR: 80^01^00^00^00^01^33 = B3
  ),
  allStatusBoard1Locks9_17_32Set: b(
    0x80, // HEAD: reply
    0x01, // BOARD 1
    0x80, // D4: 1000 0000 → door 32 set
    0x01, // D3: 0000 0001 → door 17 set
    0x01, // D2: 0000 0001 → door 9 set
    0x00, // D1: doors 1–8 clear
    0x33, // CMD: query
    0x32, // XOR: 80^01^80^01^01^00^33 = 32
  ),
  allStatusBoard1AllSet: b(
    0x80, // HEAD: reply
    0x01, // BOARD 1
    0xff, // D4: doors 25–32 set
    0xff, // D3: doors 17–24 set
    0xff, // D2: doors 9–16 set
    0xff, // D1: doors 1–8 set
    0x33, // CMD: query
    0xb2, // XOR: the four FF cancel out → 80^01^33 = B2
  ),
  /**
   * Why the reader must be told what it expects: the first five bytes are themselves a valid
   * one-lock reply (80 01 00 00 81: board 1, "lock 0", SS clear, XOR 81).
   */
  allStatusBoard1AmbiguousPrefix: b(
    0x80, // HEAD: reply
    0x01, // BOARD 1
    0x00, // D4: doors 25–32 clear
    0x00, // D3: doors 17–24 clear (also reads as SS 0x00)
    0x81, // D2: 1000 0001 → doors 9 and 16 set (also reads as XOR of the first four)
    0x00, // D1: doors 1–8 clear
    0x33, // CMD: query
    0x33, // XOR: 80^01^00^00^81^00^33 = 33
  ),
  /** allStatusBoard1AllClear with its XOR wrong. */
  allStatusBoard1BadXor: b(
    0x80, // HEAD: reply
    0x01, // BOARD 1
    0x00, // D4
    0x00, // D3
    0x00, // D2
    0x00, // D1
    0x33, // CMD: query
    0xb3, // XOR: wrong (should be B2)
  ),
  /** A 5-byte reply where the 8-byte query-all reply was expected: seventh byte is not 33. */
  allStatusTruncated: b(
    0x80, // HEAD: reply
    0x01, // BOARD 1
    0x00, // D4
    0x00, // D3
    0x33, // (CMD two bytes early: D2 and D1 lost)
    0x7b, // junk
    0x00, // junk
    0x00, // junk
  ),
  /** Line noise after a power glitch; contains neither 0x80 nor 0x8A. */
  noise: b(0xff, 0x00, 0x11, 0x33, 0x9b, 0x01),
} as const;
