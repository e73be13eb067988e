// EightAParser: the stream form of EightAFrameReader (`port.pipe(new EightAParser({ expect }))`
// emits one EightAFrame object per valid frame of the expected kinds).
import { Transform, type TransformCallback } from 'node:stream';
import { EightAFrameReader, type EightAFrameKind, type EightAReaderOptions, type EightAReaderStats } from './eight-a.js';

export class EightAParser extends Transform {
  private readonly reader: EightAFrameReader;

  constructor(options: EightAReaderOptions) {
    super({ readableObjectMode: true });
    this.reader = new EightAFrameReader(options);
  }

  get stats(): Readonly<EightAReaderStats> {
    return this.reader.stats;
  }

  /** Changes the accepted kinds; drops any partial frame held back. */
  expect(kinds: readonly EightAFrameKind[]): void {
    this.reader.expect(kinds);
  }

  /** Drops any partial frame held back. */
  reset(): void {
    this.reader.reset();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const frame of this.reader.push(chunk)) this.push(frame);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    // A partial frame at end of stream can never complete.
    this.reader.reset();
    callback();
  }
}
