// KerongParser: the stream form of KerongFrameReader, for piping a serial port straight into
// frames (`port.pipe(new KerongParser())` emits one KerongFrame object per valid frame).
import { Transform, type TransformCallback } from 'node:stream';
import { KerongFrameReader, type KerongReaderOptions, type KerongReaderStats } from './kerong.js';

export class KerongParser extends Transform {
  private readonly reader: KerongFrameReader;

  constructor(options: KerongReaderOptions = {}) {
    super({ readableObjectMode: true });
    this.reader = new KerongFrameReader(options);
  }

  get stats(): Readonly<KerongReaderStats> {
    return this.reader.stats;
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
