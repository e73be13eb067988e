// KerongParser: the stream form of KerongFrameReader, for piping a serial port straight into
// frames (`port.pipe(new KerongParser())` emits one KerongFrame object per valid frame).
import { KerongFrameReader, type KerongFrame, type KerongReaderOptions, type KerongReaderStats } from './kerong.js';
import { FrameReaderStream } from './reader-stream.js';

export class KerongParser extends FrameReaderStream<KerongFrame, KerongFrameReader> {
  constructor(options: KerongReaderOptions = {}) {
    super(new KerongFrameReader(options));
  }

  get stats(): Readonly<KerongReaderStats> {
    return this.reader.stats;
  }
}
