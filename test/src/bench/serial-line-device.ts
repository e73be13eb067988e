// The device end of a simulated serial line for the serial-line benchmark, in its own process as a
// lock board is its own hardware. `line`: the simulators' line (one pty, socat relaying its master
// over pipes, ADR 0038). `pair`: the line used before it, a socat pair of ptys with the device reading
// its pty through serialport. Tells its parent the path the agent opens, then the machine's
// monotonic time (ms) at which each frame had been read whole.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { openSerialLine } from '@xinbao/simulators/lockboard';

const [mode, dir, frameBytes] = process.argv.slice(2);
const FRAME_BYTES = Number(frameBytes);
if (!process.send || (mode !== 'line' && mode !== 'pair') || !dir || !(FRAME_BYTES > 0))
  throw new Error('usage (forked): serial-line-device.js line|pair <dir> <frame bytes>');
const send = process.send.bind(process);

let bytes = 0;
const onData = (chunk: Buffer): void => {
  bytes += chunk.length;
  while (bytes >= FRAME_BYTES) {
    bytes -= FRAME_BYTES;
    send({ read: Number(process.hrtime.bigint()) / 1e6 });
  }
};

if (mode === 'line') {
  const line = await openSerialLine(dir);
  line.device.on('data', onData);
  process.once('disconnect', () => void line.close().then(() => process.exit(0)));
  send({ agentPath: line.agentPath });
} else {
  const agentPath = join(dir, 'agent');
  const boardPath = join(dir, 'board');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${agentPath}`, `pty,raw,echo=0,link=${boardPath}`], { stdio: 'ignore' });
  while (!existsSync(agentPath) || !existsSync(boardPath)) await new Promise((resolve) => setTimeout(resolve, 10));
  const port = new SerialPort({ path: boardPath, baudRate: 19_200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  port.on('data', onData);
  process.once('disconnect', () => {
    socat.kill();
    process.exit(0);
  });
  send({ agentPath });
}
