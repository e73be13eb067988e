// The SMS gateway simulator as a program: prints one JSON ready line with its URL and inbox page.
// SMS_GATEWAY_SECRET: the shared secret of sends and receipts; HUB_RECEIPT_URL: where its signed
// delivery receipts go (the hub's /api/notifications/sms-receipts); without it they wait in memory.
import { pino } from 'pino';
import { announceReady } from '../program.js';
import { startSmsGatewaySimulator } from './server.js';

const log = pino({ name: 'sms-gateway-sim', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
const sim = await startSmsGatewaySimulator({
  secret: process.env.SMS_GATEWAY_SECRET ?? 'dev-sms-gateway-secret',
  port: Number(process.env.PORT ?? 0),
  ...(process.env.HUB_RECEIPT_URL && { callbackUrl: process.env.HUB_RECEIPT_URL }),
});
log.info({ url: sim.url, inbox: sim.inboxUrl }, 'SMS gateway simulator ready (simulated: nothing is really sent)');
announceReady({ url: sim.url, inboxUrl: sim.inboxUrl, simulated: true }, () => sim.stop(), log);
