// The courier dispatch simulator as a program: prints one JSON line with its URL when ready.
// HUB_WEBHOOK_URL: where its signed webhooks go (the hub's /api/courier/webhooks); without it they
// wait in memory (nothing is lost, nothing is sent). `--couriers` (or SIMULATED_COURIERS=on) switches
// its simulated couriers on from the start; either way `PUT /control/couriers { on, places }`
// switches them and tells them where the own kiosks are (autopilot.ts).
import { courierAutopilot } from './autopilot.js';
import { DEFAULT_COURIERS, startCourierDispatchSimulator } from './server.js';

const autopilot = courierAutopilot({
  couriers: DEFAULT_COURIERS,
  on: process.argv.includes('--couriers') || process.env.SIMULATED_COURIERS === 'on',
  ...(process.env.COURIER_TRAVEL_MS && { travelMs: Number(process.env.COURIER_TRAVEL_MS) }),
  ...(process.env.COURIER_HANDLE_MS && { handleMs: Number(process.env.COURIER_HANDLE_MS) }),
});
const sim = await startCourierDispatchSimulator({
  secret: process.env.COURIER_DISPATCH_SECRET ?? 'dev-courier-dispatch-secret',
  port: Number(process.env.PORT ?? 0),
  ...(process.env.HUB_WEBHOOK_URL && { webhookUrl: process.env.HUB_WEBHOOK_URL }),
  routes: (app) => autopilot.routes(app),
});
autopilot.bind(sim.url);
process.stdout.write(`${JSON.stringify({ event: 'ready', url: sim.url, couriers: autopilot.state().on ? 'on' : 'off' })}\n`);
const stop = () => void Promise.all([autopilot.stop(), sim.stop()]).then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
