// What the hub, the kiosk agent's local API and every simulator answer when a request cannot even
// be read: the body-parser's and the router's own refusals (bad JSON, an unknown charset or
// content-encoding, a compressed body that is not, too large, an undecodable `%` escape) carry a 4xx
// `status`; each becomes a stable code for the `{ error: { code, message } }` envelope. Text that
// PostgreSQL or a screen cannot hold (NUL, lone UTF-16 surrogates) is found by `badTextIn`.

export interface HttpRefusal {
  status: number;
  code: string;
  message: string;
}

const BY_TYPE: Record<string, Omit<HttpRefusal, 'status'>> = {
  'entity.parse.failed': { code: 'bad_json', message: 'the request body is not valid JSON' },
  'entity.too.large': { code: 'too_large', message: 'the request body is too large' },
  'entity.verify.failed': { code: 'bad_body', message: 'the request body was refused' },
  'charset.unsupported': { code: 'unsupported_charset', message: 'the request body must be UTF-8' },
  'encoding.unsupported': {
    code: 'unsupported_encoding',
    message: 'the content-encoding is not one this server reads (identity, gzip, deflate, br)',
  },
  'request.aborted': { code: 'aborted', message: 'the request body ended early' },
  'request.size.invalid': { code: 'bad_length', message: 'the request body is not as long as its content-length says' },
  'stream.encoding.set': { code: 'bad_body', message: 'the request body could not be read' },
  'stream.not.readable': { code: 'bad_body', message: 'the request body could not be read' },
  'parameters.too.many': { code: 'too_many_parameters', message: 'the request has too many parameters' },
};

/**
 * The 4xx for an error raised while reading a request (body-parser, raw-body, zlib, the router's
 * path decoding), or null for anything else: those are the server's own faults.
 */
export function httpRefusalOf(err: unknown): HttpRefusal | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; expose?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : NaN;
  if (!(status >= 400 && status < 500)) return null;
  const known = typeof e.type === 'string' ? BY_TYPE[e.type] : undefined;
  if (known) return { status, ...known };
  // The router's decodeURIComponent of a path parameter (`/api/parcels/%ZZ`) is a URIError with status 400.
  if (err instanceof URIError) return { status: 400, code: 'bad_path', message: 'the path has a malformed % escape' };
  // zlib's errors for a body that says gzip and is not are wrapped into a 400 by body-parser.
  if (status === 400) return { status, code: 'bad_body', message: 'the request body could not be read as sent' };
  if (status === 413) return { status, ...BY_TYPE['entity.too.large']! };
  if (status === 415) return { status, code: 'unsupported_media_type', message: 'the request body is not in a form this server reads' };
  return { status, code: 'bad_request', message: 'the request was refused' };
}

/** True when `s` holds a NUL or a lone UTF-16 surrogate (text PostgreSQL refuses or stores as garbage). */
export function isBadText(s: string): boolean {
  return s.includes('\u0000') || !isWellFormed(s);
}

function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/**
 * The path (`body.items.2.name`, `(key) body.x`) of the first string, or object key, in `value` that
 * is bad text, or null. Walks at most `maxNodes` nodes (a parsed body is already size-limited).
 */
export function badTextIn(value: unknown, where: string, maxNodes = 100_000): string | null {
  const stack: [unknown, string][] = [[value, where]];
  let seen = 0;
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (++seen > maxNodes) return null;
    if (typeof v === 'string') {
      if (isBadText(v)) return at;
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push([x, `${at}.${i}`]));
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (isBadText(k)) return `${at} (a key)`;
        stack.push([x, `${at}.${k}`]);
      }
    }
  }
  return null;
}

/** A refusal of input that was read but does not fit its schema, with every reason. */
export interface SchemaRefusal extends HttpRefusal {
  details: { path: string; message: string }[];
  /** the unknown fields' paths (`dropOff.note`), when there are any */
  unknownFields?: string[];
}

/** The zod issue shape this needs (zod 4's `$ZodIssue`, kept structural so any zod 4 minor fits). */
interface SchemaIssue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  keys?: readonly string[];
}

const pathOf = (path: readonly PropertyKey[]): string => path.map(String).join('.');

/**
 * The one mapping of a zod failure to the error envelope (ADR 0020), used by the hub's routes and
 * kiosk socket, the kiosk agent's local API and the simulators. A field the schema does not know
 * (zod's `unrecognized_keys`, from a `z.strictObject`) is `unknown_field`, naming each such field,
 * whatever else is wrong: a client that sends a field we would silently drop learns so at once.
 * Anything else is `bad_request` with every reason.
 */
export function schemaRefusalOf(issues: readonly SchemaIssue[], what = 'request body'): SchemaRefusal {
  const details = issues.map((i) => ({ path: pathOf(i.path), message: i.message }));
  const unknownFields = issues.flatMap((i) => (i.code === 'unrecognized_keys' ? (i.keys ?? []).map((k) => pathOf([...i.path, k])) : []));
  if (unknownFields.length > 0) {
    const named =
      unknownFields
        .slice(0, 5)
        .map((f) => `"${f.slice(0, 100)}"`)
        .join(', ') + (unknownFields.length > 5 ? ` and ${unknownFields.length - 5} more` : '');
    return {
      status: 400,
      code: 'unknown_field',
      message: `${what}: unknown field${unknownFields.length > 1 ? 's' : ''} ${named}; leave ${unknownFields.length > 1 ? 'them' : 'it'} out`,
      details: details.slice(0, 20),
      unknownFields: unknownFields.slice(0, 20),
    };
  }
  return {
    status: 400,
    code: 'bad_request',
    message: `invalid ${what}: ${details
      .slice(0, 10)
      .map((d) => `${d.path || '(root)'}: ${d.message}`)
      .join('; ')}`,
    details: details.slice(0, 20),
  };
}
