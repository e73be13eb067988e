// KR-CU16 byte fixtures shared by the protocol, driver and simulator tests. Every byte is written
// out and commented so a reader can check a test against LOCKBOARD.md section A without a
// calculator. `lock` is the wire channel 0–15 (see the numbering note in kerong.ts).
// Every vector here, a status reply bit by bit and a checksum worked out: docs/lockboard-wire-formats.md (A).

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);

export const KerongFixtures = {
  /** LOCKBOARD.md verbatim: "open lock 1 on board 0" (vendor label) = channel 0. */
  unlockBoard0Lock0: b(
    0x02, // STX
    0x00, // ADDR: board 0 (high nibble), lock channel 0 (low nibble)
    0x31, // CMD: unlock one lock
    0x03, // ETX
    0x36, // SUM: 02+00+31+03 = 36
  ),
  /** The first journey's frame: board 0, lock channel 3. */
  unlockBoard0Lock3: b(
    0x02, // STX
    0x03, // ADDR: board 0, lock 3
    0x31, // CMD: unlock one lock
    0x03, // ETX
    0x39, // SUM: 02+03+31+03 = 39
  ),
  /** LOCKBOARD.md's address example "board 2, lock 0 → 0x20". */
  unlockBoard2Lock0: b(
    0x02, // STX
    0x20, // ADDR: board 2, lock 0
    0x31, // CMD: unlock one lock
    0x03, // ETX
    0x56, // SUM: 02+20+31+03 = 56
  ),
  readStatusBoard0: b(
    0x02, // STX
    0x00, // ADDR: board 0 (lock nibble unused by 0x30)
    0x30, // CMD: read status of this board
    0x03, // ETX
    0x35, // SUM: 02+00+30+03 = 35
  ),
  readStatusBoard1: b(
    0x02, // STX
    0x10, // ADDR: board 1
    0x30, // CMD: read status
    0x03, // ETX
    0x45, // SUM: 02+10+30+03 = 45
  ),
  setPulseTimeBoard0: b(
    0x02, // STX
    0x00, // ADDR: board 0
    0x37, // CMD: set unlock pulse time
    0x0a, // data: pulse time (raw vendor units)
    0x03, // ETX
    0x46, // SUM: 02+00+37+0A+03 = 46
  ),
  /** Pulse time 20 (raw vendor units) on board 1; the board acknowledges with statusBoard1AllClosedEmpty. */
  setPulseTimeBoard1: b(
    0x02, // STX
    0x10, // ADDR: board 1, lock nibble unused by 0x37
    0x37, // CMD: set unlock pulse time
    0x14, // data: pulse time 20 (raw vendor units)
    0x03, // ETX
    0x60, // SUM: 02+10+37+14+03 = 60
  ),
  /** Broadcast: every board on the bus answers in one 0x36 frame. */
  readBusStatus: b(
    0x02, // STX
    0xf0, // ADDR: broadcast
    0x32, // CMD: read status of all boards
    0x03, // ETX
    0x27, // SUM: 02+F0+32+03 = 127 → 27
  ),
  /** Board 0 answering 0x30: every latch closed, nothing inside. */
  statusBoard0AllClosedEmpty: b(
    0x02, // STX
    0x00, // ADDR: board 0
    0x35, // CMD: status reply
    0xff, // L1: latches 0–7 closed
    0xff, // L2: latches 8–15 closed
    0x00, // I1: nothing in 0–7
    0x00, // I2: nothing in 8–15
    0x03, // ETX
    0x38, // SUM: 02+00+35+FF+FF+00+00+03 = 238 → 38
  ),
  /** Board 0 answering the unlock of lock 3: latch 3 open, an item in lock 5. */
  statusBoard0Lock3OpenItemIn5: b(
    0x02, // STX
    0x03, // ADDR: board 0, lock 3 (echoes the unlock request)
    0x35, // CMD: status reply
    0xf7, // L1: 1111 0111 → latch 3 open, 0–2 and 4–7 closed
    0xff, // L2: latches 8–15 closed
    0x20, // I1: 0010 0000 → item in lock 5
    0x00, // I2: nothing in 8–15
    0x03, // ETX
    0x53, // SUM: 02+03+35+F7+FF+20+00+03 = 253 → 53
  ),
  /** Board 0 after the person put an item in lock 3 and closed it. */
  statusBoard0AllClosedItemIn3: b(
    0x02, // STX
    0x00, // ADDR: board 0
    0x35, // CMD: status reply
    0xff, // L1: latches 0–7 closed
    0xff, // L2: latches 8–15 closed
    0x08, // I1: 0000 1000 → item in lock 3
    0x00, // I2: nothing in 8–15
    0x03, // ETX
    0x40, // SUM: 02+00+35+FF+FF+08+00+03 = 240 → 40
  ),
  /** A data byte equal to ETX: why the reader cannot scan for ETX to find a frame's end. */
  statusBoard0EtxInData: b(
    0x02, // STX
    0x00, // ADDR: board 0
    0x35, // CMD: status reply
    0x03, // L1: 0000 0011 → latches 0 and 1 closed (same value as ETX)
    0x00, // L2: latches 8–15 open
    0x00, // I1: empty
    0x00, // I2: empty
    0x03, // ETX
    0x3d, // SUM: 02+00+35+03+00+00+00+03 = 3D
  ),
  statusBoard1AllClosedEmpty: b(
    0x02, // STX
    0x10, // ADDR: board 1
    0x35, // CMD: status reply
    0xff, // L1: latches 0–7 closed
    0xff, // L2: latches 8–15 closed
    0x00, // I1: empty
    0x00, // I2: empty
    0x03, // ETX
    0x48, // SUM: 02+10+35+FF+FF+00+00+03 = 248 → 48
  ),
  /** Reply to 0x32 from a bus with boards 0 and 1. */
  busStatusTwoBoards: b(
    0x02, // STX
    0xf0, // ADDR: broadcast
    0x36, // CMD: bus status reply
    0xff,
    0xff,
    0x00,
    0x00, // board 0: L1 L2 all closed, I1 I2 empty
    0xff,
    0x7f,
    0x00,
    0x00, // board 1: L2 = 0111 1111 → latch 15 open
    0x03, // ETX
    0xa7, // SUM: low byte of the sum of the 12 bytes before it
  ),
  /** Reply to 0x32 from a bus with board 0 only: the shortest 0x36 frame. */
  busStatusOneBoard: b(
    0x02, // STX
    0xf0, // ADDR: broadcast
    0x36, // CMD: bus status reply
    0xff,
    0xff,
    0x00,
    0x00, // board 0: L1 L2 all closed, I1 I2 empty
    0x03, // ETX
    0x29, // SUM: 02+F0+36+FF+FF+00+00+03 = 329 → 29
  ),
  /**
   * Two boards, the second block starting with 0x03: read as one block, byte 7 is an ETX in the
   * right place, but byte 8 (FF) is not the SUM of bytes 0–7 (2A), so the reader goes on to two.
   */
  busStatusEtxInBlock: b(
    0x02, // STX
    0xf0, // ADDR: broadcast
    0x36, // CMD: bus status reply
    0xff,
    0xff,
    0x01,
    0x00, // board 0: all closed, I1 = 0000 0001 → item in lock 0
    0x03,
    0xff,
    0x00,
    0x00, // board 1: L1 = 0000 0011 → latches 0 and 1 closed, 2–7 open; L2 all closed
    0x03, // ETX
    0x2c, // SUM: 02+F0+36+FF+FF+01+00+03+FF+00+00+03 = 42C → 2C
  ),
  /** statusBoard0AllClosedEmpty with its SUM off by one. */
  statusBoard0BadChecksum: b(
    0x02, // STX
    0x00, // ADDR: board 0
    0x35, // CMD: status reply
    0xff, // L1
    0xff, // L2
    0x00, // I1
    0x00, // I2
    0x03, // ETX
    0x39, // SUM: wrong (should be 38)
  ),
  /** A status reply that lost its I2 byte: ETX is not where a 0x35 frame needs it. */
  statusBoard0MissingByte: b(
    0x02, // STX
    0x00, // ADDR: board 0
    0x35, // CMD: status reply (needs 4 data bytes)
    0xff, // L1
    0xff, // L2
    0x00, // I1 (I2 missing)
    0x03, // ETX, one byte early
    0x38, // SUM
  ),
  /** Line noise as seen after a power glitch; contains no STX. */
  noise: b(0xff, 0x00, 0x35, 0x31, 0x03, 0x80),
} as const;
