// Client of the courier dispatch system (EMS 揽派). Behind a small interface so the pickup job does
// not care whether the peer is the real system or its simulator.
import { CourierOrderAccepted, SIGNATURE_HEADER, TIMESTAMP_HEADER, signRequest, type CourierOrderRequest } from '@xinbao/protocol';

export interface CourierDispatch {
  createOrder(order: CourierOrderRequest): Promise<CourierOrderAccepted>;
}

export class CourierDispatchError extends Error {
  constructor(
    message: string,
    /** false when sending the same request again cannot help (a 4xx other than 429) */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export class HttpCourierDispatch implements CourierDispatch {
  constructor(
    private readonly baseUrl: string,
    private readonly secret: string,
    private readonly timeoutMs = 5_000,
  ) {}

  async createOrder(order: CourierOrderRequest): Promise<CourierOrderAccepted> {
    const body = JSON.stringify(order);
    const ts = Date.now();
    let res: Response;
    try {
      res = await fetch(new URL('/api/orders', this.baseUrl), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': order.orderId,
          [TIMESTAMP_HEADER]: String(ts),
          [SIGNATURE_HEADER]: signRequest(this.secret, ts, body),
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new CourierDispatchError(`courier dispatch unreachable: ${(e as Error).message}`, true);
    }
    const text = await res.text();
    if (!res.ok) {
      throw new CourierDispatchError(
        `courier dispatch answered ${res.status}: ${text.slice(0, 200)}`,
        res.status >= 500 || res.status === 429,
      );
    }
    const parsed = CourierOrderAccepted.safeParse(JSON.parse(text));
    if (!parsed.success) throw new CourierDispatchError('courier dispatch answered with an unexpected body', true);
    return parsed.data;
  }
}
