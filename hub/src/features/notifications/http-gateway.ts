// The SMS gateway over HTTP (the SMS gateway simulator's API, `POST /api/messages`): each request
// signed with the shared secret (signRequest over `timestamp.body`), the notice id as its
// idempotency key, in the body and as the Idempotency-Key header.
import { SIGNATURE_HEADER, SmsSendAccepted, TIMESTAMP_HEADER, signRequest, type SmsSendRequest } from '@xinbao/protocol';
import { SmsGatewayError, type SmsGateway } from './gateway.js';

export class HttpSmsGateway implements SmsGateway {
  constructor(
    private readonly baseUrl: string,
    private readonly secret: string,
    private readonly timeoutMs = 5_000,
  ) {}

  async send(message: SmsSendRequest): Promise<SmsSendAccepted> {
    const body = JSON.stringify(message);
    const ts = Date.now();
    let res: Response;
    try {
      res = await fetch(new URL('/api/messages', this.baseUrl), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': message.idempotencyKey,
          [TIMESTAMP_HEADER]: String(ts),
          [SIGNATURE_HEADER]: signRequest(this.secret, ts, body),
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new SmsGatewayError(`SMS gateway unreachable: ${(e as Error).message}`, true);
    }
    const text = await res.text();
    if (!res.ok)
      throw new SmsGatewayError(`SMS gateway answered ${res.status}: ${text.slice(0, 200)}`, res.status >= 500 || res.status === 429);
    let parsed;
    try {
      parsed = SmsSendAccepted.safeParse(JSON.parse(text));
    } catch {
      parsed = null;
    }
    if (!parsed?.success) throw new SmsGatewayError('SMS gateway answered with an unexpected body', true);
    return parsed.data;
  }
}
