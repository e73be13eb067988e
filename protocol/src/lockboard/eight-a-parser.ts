// EightAParser: the stream form of EightAFrameReader (`port.pipe(new EightAParser({ expect }))`
// emits one EightAFrame object per valid frame of the expected kinds).
import { EightAFrameReader, type EightAFrame, type EightAFrameKind, type EightAReaderOptions, type EightAReaderStats } from './eight-a.js';
import { FrameReaderStream } from './reader-stream.js';

export class EightAParser extends FrameReaderStream<EightAFrame, EightAFrameReader> {
  constructor(options: EightAReaderOptions) {
    super(new EightAFrameReader(options));
  }

  get stats(): Readonly<EightAReaderStats> {
    return this.reader.stats;
  }

  /** Changes the accepted kinds; drops any partial frame held back. */
  expect(kinds: readonly EightAFrameKind[]): void {
    this.reader.expect(kinds);
  }
}
