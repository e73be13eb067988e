// One base error for everything the hub refuses on purpose: a status, a stable code and a message
// safe to show. The HTTP error middleware and socket acks turn it into { error: { code, message } }.
export class HubError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
  toJSON(): { code: string; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export class BadRequest extends HubError {
  constructor(message: string, details?: unknown, code = 'bad_request') {
    super(400, code, message, details);
  }
}
export class Unauthorized extends HubError {
  constructor(message = 'sign in first') {
    super(401, 'unauthorized', message);
  }
}
export class Forbidden extends HubError {
  constructor(message = 'your role may not do this') {
    super(403, 'forbidden', message);
  }
}
export class NotFound extends HubError {
  constructor(what: string) {
    super(404, 'not_found', `${what} not found`);
  }
}
export class Conflict extends HubError {
  constructor(code: string, message: string, details?: unknown) {
    super(409, code, message, details);
  }
}
export class TooManyRequests extends HubError {
  constructor(code: string, message: string) {
    super(429, code, message);
  }
}
