// The stream form every lock-board frame reader shares: a Transform that feeds byte chunks to a
// pure reader and pushes out one frame object per valid frame (`port.pipe(parser)`). The family
// parsers (kerong-parser.ts, eight-a-parser.ts) only say which reader and what it counts.
import { Transform, type TransformCallback } from 'node:stream';

export interface ChunkReader<F> {
  push(chunk: Uint8Array): F[];
  reset(): void;
}

export class FrameReaderStream<F, R extends ChunkReader<F>> extends Transform {
  constructor(protected readonly reader: R) {
    super({ readableObjectMode: true });
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
