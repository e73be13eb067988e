// The courier dispatch simulator as a program: prints one JSON line with its URL when ready.
import { startCourierDispatchSimulator } from './server.js';

const sim = await startCourierDispatchSimulator({
  secret: process.env.COURIER_DISPATCH_SECRET ?? 'dev-courier-dispatch-secret',
  port: Number(process.env.PORT ?? 0),
});
process.stdout.write(`${JSON.stringify({ event: 'ready', url: sim.url })}\n`);
const stop = () => void sim.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
