// The courier dispatch simulator as a program: prints one JSON line with its URL when ready.
// HUB_WEBHOOK_URL: where its signed webhooks go (the hub's /api/courier/webhooks); without it they
// wait in memory (nothing is lost, nothing is sent).
import { startCourierDispatchSimulator } from './server.js';

const sim = await startCourierDispatchSimulator({
  secret: process.env.COURIER_DISPATCH_SECRET ?? 'dev-courier-dispatch-secret',
  port: Number(process.env.PORT ?? 0),
  ...(process.env.HUB_WEBHOOK_URL && { webhookUrl: process.env.HUB_WEBHOOK_URL }),
});
process.stdout.write(`${JSON.stringify({ event: 'ready', url: sim.url })}\n`);
const stop = () => void sim.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
