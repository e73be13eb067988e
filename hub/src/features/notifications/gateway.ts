// The SMS gateway port: what the notifications sender needs from an SMS platform. One method, send
// with an idempotency key (the notice id): the same key again must send nothing and answer the first
// answer, which is what makes a retry after a crash safe. The HTTP adapter is http-gateway.ts.
import type { SmsSendAccepted, SmsSendRequest } from '@xinbao/protocol';

export interface SmsGateway {
  send(message: SmsSendRequest): Promise<SmsSendAccepted>;
}

export class SmsGatewayError extends Error {
  constructor(
    message: string,
    /** false when sending the same request again cannot help (a 4xx other than 429) */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}
