// The HTTP fuzz (issue 10): bad requests against every route of the hub's /openapi.json and the
// partner webhook, on an in-process hub over real PostgreSQL and Redis (the jest global setup's, or
// started here for `npm run fuzz -- http`). Each case is a known route with at least one thing
// wrong: an undecodable or NUL path parameter, a body that is not JSON, not UTF-8, not what its
// content-encoding says, too large, or JSON with NUL / lone surrogates / huge numbers / wrong types
// / unknown fields, sent with odd headers (charsets, encodings, request ids, tokens), by a signed-in
// admin or anonymously.
//
// Some cases are well-formed but for one field the route does not know (at the top or nested, or
// any field at all on a route that takes no body), sent by a role the route admits: each must be
// answered 400 `unknown_field` (ADR 0020), whatever else the body holds.
//
// What must hold, case after case: no 5xx; every 4xx is { error: { code, message } }; the
// unknown-field cases are each a 400 unknown_field; and in the end no row of any business table changed (a checksum of each table before and after; the refusal
// counters and their sample rows are the only tables a refusal may write).
import { request } from 'node:http';
import fc from 'fast-check';
import type pg from 'pg';
import { PARTNER_APP_ID_HEADER, PARTNER_EVENT_SIGNATURE_HEADER, PARTNER_EVENT_TIMESTAMP_HEADER } from '@xinbao/protocol';
import { signIn } from '../../support/http.js';
import { startTestHub, type TestHub } from '../../support/hub.js';
import { FailureLog, type FuzzResult, type FuzzTarget } from '../target.js';

/** Tables a refused request may write: the webhook refusal counters and their sampled rows. */
export const REFUSAL_TABLES = new Set(['partner_webhook_refusal_counts', 'partner_webhook_rejections']);

/** Columns any signed-in request may touch: a session's last use (written at most once a minute). */
const VOLATILE_COLUMNS: Record<string, string[]> = { sessions: ['last_used_at'] };

/**
 * Routes whose whole purpose is to end the caller's session: a well-formed call by the signed-in
 * fuzzer would (rightly) sign it out, so they are fuzzed signed-out, where each must be a 401.
 */
const ENDS_SESSION = /^\/api\/auth\/(logout|logout-everywhere|sessions\/\{[^}]+\})$/;

interface JsonSchema {
  type?: string | string[];
  const?: unknown;
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  format?: string;
  minimum?: number;
  minLength?: number;
  pattern?: string;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

interface Route {
  method: string;
  /** the OpenAPI path, `{param}` for each parameter */
  path: string;
  /** the JSON schema of its request body, when it takes one */
  body?: JsonSchema;
  /** its query parameters' names */
  query?: string[];
  /** the roles that may call it, from its description (`Who may call: …`); empty for anyone */
  roles?: Role[];
}

export const ROLES = ['applicant', 'staff', 'courier', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** A seeded demo user of each role, signed in once per run. */
export const USER_OF: Record<Role, string> = { applicant: 'zhang.san', staff: 'hall.staff', courier: 'ems.courier', admin: 'ops.admin' };

export interface HttpCase {
  route: Route;
  method: string;
  /** the path as sent (already percent-encoded) */
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
  signedIn: boolean;
  /** signed in as this role rather than the admin */
  as?: Role;
  /** the answer this case must get (a well-formed request but for an unknown field) */
  expect?: { status: number; code: string };
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

// Path parameter values, as sent: malformed escapes, NUL, encoded surrogate halves, overlong UTF-8,
// huge, dot segments, plain junk.
const badSegment = fc.oneof(
  fc.constantFrom('%ZZ', '%', '%0', '%00', 'a%00b', '%ED%A0%80', '%C0%AF', '%FF', '%E0%A4%A', '..', '%2e%2e', '%2F', 'null', '-1', '1e309'),
  fc.stringMatching(/^[A-Za-z0-9%._~-]{1,40}$/),
  fc.integer({ min: 1, max: 3000 }).map((n) => 'x'.repeat(n)),
  fc.uint8Array({ minLength: 1, maxLength: 24 }).map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('')),
);

// A JSON value with the troubles a schema must refuse or ignore.
const nastyString = fc.oneof(
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\udc00y', '', ' ', '😀', '\u202e', "'; DROP TABLE parcels; --"),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer({ min: 200, max: 5000 }).map((n) => 'z'.repeat(n)),
);
const nastyNumber = fc.oneof(
  fc.constantFrom(Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 2, -(2 ** 63), 2 ** 31, -1, 0, 1.5, -0),
  fc.double(),
  fc.integer(),
);
const nastyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString,
    nastyNumber,
    fc.constantFrom(null, true, false),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(nastyString, fc.constantFrom('username', 'password', 'matterCode', 'label', 'siteId', 'size', 'publicKey')),
      tie('v'),
      {
        maxKeys: 5,
      },
    ),
  ),
})).v;

// JSON text that a plain JSON.stringify cannot produce: escaped NUL and lone surrogates, huge exponents.
const rawJson = fc.constantFrom(
  '{"username":"a\\u0000","password":"x"}',
  '{"username":"\\ud800","password":"\\udfff"}',
  '{"matterCode":"\\u0000","siteId":"\\ud83d","size":"S"}',
  '{"label":"K\\u0000","publicKey":"x"}',
  '{"n":1e999999}',
  '{"\\u0000":1}',
  '['.repeat(2000),
  '{',
  '',
  'null',
  '"x"',
  '{"a":1,"a":2}',
);

// A value of the schema's shape, plausible enough to pass the cheap checks.
function plausible(schema: JsonSchema | undefined, depth = 0): unknown {
  if (!schema || depth > 4) return 'x';
  if (schema.const !== undefined) return schema.const;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  if (schema.anyOf?.[0]) return plausible(schema.anyOf[0], depth + 1);
  if (schema.oneOf?.[0]) return plausible(schema.oneOf[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, plausible(v, depth + 1)]));
    case 'array':
      return [plausible(schema.items, depth + 1)];
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
    case 'null':
    case undefined:
    default:
      return schema.format === 'uuid' ? '0192f0c2-7a1b-7000-8000-000000000000' : 'x'.repeat(Math.max(1, schema.minLength ?? 1));
  }
}

// What a field is replaced with: each of these must be refused, whatever the field.
const corruption = fc.constantFrom(
  '"a\\u0000b"',
  '"\\u0000"',
  '"\\ud800"',
  '"x\\udfffy"',
  '1e999',
  '-1e999',
  '123456789012345678901234567890',
  '{"$gt":""}',
  '[[[[[[[[[[]]]]]]]]]]',
  `"${'w'.repeat(70_000)}"`,
);

/** The route's body with one field (or the whole) replaced by a corruption, as JSON text. */
const shapedBody = (schema: JsonSchema) =>
  fc.record({ pick: fc.nat(), with: corruption }).map(({ pick, with: bad }) => {
    const value = plausible(schema) as Record<string, unknown>;
    const keys = typeof value === 'object' && value !== null ? Object.keys(value) : [];
    const marker = '__fuzz_corruption__';
    if (keys.length === 0) return Buffer.from(bad);
    value[keys[pick % keys.length]!] = marker;
    return Buffer.from(JSON.stringify(value).replace(`"${marker}"`, bad));
  });

// A field no route knows: plain names, names of Object.prototype, names that look like a route's own.
const unknownKey = fc.oneof(
  fc.constantFrom('extra', '__proto__', 'constructor', 'toString', 'role', 'id', 'isAdmin', 'dropOff.siteId', 'Password', 'siteID'),
  fc.stringMatching(/^[A-Za-z_$][A-Za-z0-9_$-]{0,30}$/),
);

/**
 * The route's body, plausible in every field, with one field it does not know: at the top, or in a
 * nested object of the body when it has one; a route without a body gets `{ <field>: … }`.
 */
const unknownFieldBody = (schema: JsonSchema | undefined) =>
  fc.record({ key: unknownKey, value: fc.jsonValue({ maxDepth: 2 }), nested: fc.boolean() }).map(({ key, value: v, nested }) => {
    const body = (schema ? plausible(schema) : {}) as Record<string, unknown>;
    const inner = Object.values(body).find((x): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x));
    const target = nested && inner ? inner : body;
    const known = new Set(Object.keys(target));
    const name = known.has(key) ? `${key}_unknown` : key;
    // JSON text by hand, so that `__proto__` is a field of the body and not its prototype.
    const text = JSON.stringify(target);
    const field = `${JSON.stringify(name)}:${JSON.stringify(v) ?? 'null'}`;
    const withField = text === '{}' ? `{${field}}` : `${text.slice(0, -1)},${field}}`;
    // A function, not a string: a key such as `a$'` must not be read as a replacement pattern.
    const out = target === body ? withField : JSON.stringify(body).replace(text, () => withField);
    return Buffer.from(out);
  });

type FuzzBody = { bytes: Buffer | null; contentType?: string; encoding?: string };
const body: fc.Arbitrary<FuzzBody> = fc.oneof(
  fc.record({
    bytes: nastyValue.map((v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8')),
    contentType: fc.constant('application/json'),
  }),
  fc.record({ bytes: rawJson.map((s) => Buffer.from(s, 'utf8')), contentType: fc.constant('application/json') }),
  fc.record({
    bytes: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    contentType: fc.constantFrom(
      'application/json',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'text/plain',
      'application/x-www-form-urlencoded',
    ),
  }),
  fc.record({
    bytes: fc.constant(Buffer.from('{"username":"ops.admin","password":"x"}')),
    contentType: fc.constantFrom(
      'application/json; charset=latin1',
      'application/json; charset=koi8-r',
      'application/json; charset="utf-8"; x=1',
    ),
    encoding: fc.constantFrom('foo', 'gzip', 'deflate', 'br', 'gzip, foo', 'identity'),
  }),
  fc.record({
    bytes: fc.integer({ min: 65_000, max: 200_000 }).map((n) => Buffer.from(`{"a":"${'x'.repeat(n)}"}`)),
    contentType: fc.constant('application/json'),
  }),
  fc.constant({ bytes: null }),
);

const extraHeaders = fc.record(
  {
    'x-request-id': fc.oneof(fc.stringMatching(/^[\x21-\x7e]{0,100}$/), fc.constant('ok-id-1')),
    accept: fc.constantFrom('*/*', 'text/html', 'application/json;q=0', 'x/y'),
    authorization: fc.constantFrom('Bearer ', 'Bearer x', 'Basic YTpi', 'Bearer ' + 'a'.repeat(500), 'Bearer %00'),
    [PARTNER_APP_ID_HEADER]: fc.constantFrom('', 'postal-app', 'x'.repeat(300)),
    [PARTNER_EVENT_TIMESTAMP_HEADER]: fc.constantFrom('', '0', '-1', '99999999999999999999', 'NaN', String(Date.now())),
    [PARTNER_EVENT_SIGNATURE_HEADER]: fc.constantFrom('', 'sha256=00', 'v1=' + 'f'.repeat(64), 'x'.repeat(300)),
  },
  { requiredKeys: [] },
);

/** Routes an unknown field is refused on (everything but GET and the lenient partner webhook; sign-out routes are fuzzed signed-out). */
const takesStrictInput = (route: Route): boolean =>
  route.method !== 'GET' && !SIGNED_WEBHOOKS.has(route.path) && !ENDS_SESSION.test(route.path);

/** Signed by a peer: the signature is checked before anything is read, and a peer may add fields (ADR 0020). */
const SIGNED_WEBHOOKS = new Set(['/api/partner/webhooks', '/api/courier/webhooks', '/api/notifications/sms-receipts']);

/** A well-formed call of the route by a role it admits, with one unknown field: 400 unknown_field. */
function unknownFieldCase(route: Route): fc.Arbitrary<HttpCase> {
  return unknownFieldBody(route.body).map((bytes) => ({
    route,
    method: route.method,
    path: route.path.replace(/\{[^}]+\}/g, '0192f0c2-7a1b-7000-8000-000000000000'),
    headers: { 'content-type': 'application/json' },
    body: bytes,
    signedIn: true,
    as: route.roles?.includes('admin') || !route.roles?.length ? 'admin' : route.roles[0]!,
    expect: { status: 400, code: 'unknown_field' },
  }));
}

export function httpCases(routes: readonly Route[]): fc.Arbitrary<HttpCase> {
  return fc.constantFrom(...routes).chain((route) => {
    const fuzzed = fc
      .record({
        otherMethod: fc.option(fc.constantFrom(...METHODS), { freq: 6 }),
        segment: badSegment,
        pathStyle: fc.constantFrom('append', 'query', 'plain', 'plain'),
        // A route that takes a body gets one of its own shape, with a field corrupted, half the time.
        body: route.body
          ? fc.oneof(
              { arbitrary: body, weight: 1 },
              { arbitrary: shapedBody(route.body).map((bytes): FuzzBody => ({ bytes, contentType: 'application/json' })), weight: 2 },
            )
          : body,
        headers: extraHeaders,
        signedIn: ENDS_SESSION.test(route.path) ? fc.constant(false) : fc.boolean(),
      })
      .map(({ otherMethod, segment, pathStyle, body: b, headers, signedIn }) => {
        let path = route.path.replace(/\{[^}]+\}/g, segment);
        const queryNames = route.query?.length ? route.query : ['q'];
        if (path === route.path && pathStyle === 'append') path = `${path}/${segment}`;
        else if (pathStyle === 'query' || route.query?.length) path = `${path}?${queryNames.map((n) => `${n}=${segment}`).join('&')}`;
        const method = otherMethod ?? route.method;
        const h: Record<string, string> = { ...headers };
        if (b.contentType) h['content-type'] = b.contentType;
        if (b.encoding) h['content-encoding'] = b.encoding;
        return { route, method, path, headers: h, body: method === 'GET' || method === 'HEAD' ? null : b.bytes, signedIn };
      });
    return takesStrictInput(route) ? fc.oneof({ arbitrary: fuzzed, weight: 4 }, { arbitrary: unknownFieldCase(route), weight: 1 }) : fuzzed;
  });
}

/** Every (method, path) in the hub's OpenAPI document, and the partner webhook. */
export async function hubRoutes(url: string): Promise<Route[]> {
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  type Op = {
    description?: string;
    requestBody?: { content?: { 'application/json'?: { schema?: JsonSchema } } };
    parameters?: { name: string; in: string }[];
  };
  const routes = Object.entries(doc.paths as Record<string, Record<string, Op>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([m, op]): Route => {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      const query = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const who = /Who may call: ([^.]*)/.exec(op.description ?? '')?.[1] ?? '';
      const roles = ROLES.filter((r) => new RegExp(`\\b${r}\\b`).test(who));
      return { method: m.toUpperCase(), path, roles, ...(schema && { body: schema }), ...(query.length > 0 && { query }) };
    }),
  );
  if (!routes.some((r) => r.path === '/api/partner/webhooks')) routes.push({ method: 'POST', path: '/api/partner/webhooks' });
  return routes;
}

/** Sends a case; `token` is the admin's, `tokens` each role's (for cases signed in `as` another role). */
export function send(
  base: string,
  c: HttpCase,
  token: string,
  tokens: Partial<Record<Role, string>> = {},
): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...c.headers };
    if (c.signedIn && !('authorization' in c.headers)) headers.authorization = `Bearer ${(c.as && tokens[c.as]) ?? token}`;
    if (c.body) headers['content-length'] = String(c.body.length);
    const req = request({ host: u.hostname, port: u.port, method: c.method, path: c.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // A server may answer (413, 429) and close before the whole body is written: that is its right.
    req.on('error', (e: NodeJS.ErrnoException) =>
      e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve({ status: -1, body: '' }) : reject(e),
    );
    req.end(c.body ?? undefined);
  });
}

/** One md5 per table of the public schema (its rows in a fixed order), the refusal tables left out. */
export async function tableChecksums(db: pg.Pool): Promise<Record<string, string>> {
  const tables = (
    await db.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)
  ).rows.map((r) => r.name);
  const out: Record<string, string> = {};
  for (const t of tables) {
    if (REFUSAL_TABLES.has(t)) continue;
    const r = await db.query<{ n: string; sum: string | null }>(
      `SELECT count(*)::text AS n, md5(string_agg(x::text, '|' ORDER BY x::text)) AS sum
       FROM (SELECT to_jsonb(t) - $1::text[] AS x FROM "${t}" t) r`,
      [VOLATILE_COLUMNS[t] ?? []],
    );
    out[t] = `${r.rows[0]!.n}:${r.rows[0]!.sum ?? ''}`;
  }
  return out;
}

/** PostgreSQL and Redis of the jest global setup, or (from the command line) started here. */
async function services(): Promise<() => Promise<void>> {
  if (process.env.XINBAO_TEST_TEMPLATE_DB) return async () => undefined;
  const setup = (await import(new URL('../../../support/global-setup.mjs', import.meta.url).href)) as { default(): Promise<void> };
  const teardown = (await import(new URL('../../../support/global-teardown.mjs', import.meta.url).href)) as { default(): Promise<void> };
  await setup.default();
  return () => teardown.default();
}

function envelopeOf(body: string): { error?: { code?: unknown; message?: unknown } } | null {
  try {
    return JSON.parse(body) as { error?: { code?: unknown; message?: unknown } } | null;
  } catch {
    return null;
  }
}

export async function runHttpFuzz(cases: number, seed: number, options: { concurrency?: number } = {}): Promise<FuzzResult> {
  const stopServices = await services();
  let hub: TestHub | null = null;
  try {
    hub = await startTestHub({
      env: {
        PARTNER_API_URL: 'http://127.0.0.1:9',
        PARTNER_APP_ID: 'postal-app',
        PARTNER_APP_SECRET: 'fuzz-app-secret-0123456789',
        PARTNER_WEBHOOK_SECRET: 'fuzz-webhook-secret-0123456789',
        PARTNER_NETWORK: 'postal',
        PARTNER_RECONCILE_INTERVAL_MS: '3600000',
        PARTNER_REFRESH_INTERVAL_MS: '3600000',
      },
      // Garbage from one address would be answered 429 after 30 a minute: let most reach the checks.
      deps: { webhookRefusals: { perMinute: Math.max(30, Math.floor(cases / 2)) } },
    });
    const routes = await hubRoutes(hub.url);
    const token = await signIn(hub.api, 'ops.admin');
    const tokens: Partial<Record<Role, string>> = { admin: token };
    for (const role of ROLES) tokens[role] ??= await signIn(hub.api, USER_OF[role]);
    const before = await tableChecksums(hub.db.pool);
    const counts: Record<string, number> = { cases: 0, routes: routes.length, failures: 0 };
    const failures = new FailureLog();
    const batch = 1000;
    for (let start = 0; start < cases; start += batch) {
      const generated = fc.sample(httpCases(routes), { seed: seed + start, numRuns: Math.min(batch, cases - start) });
      let next = 0;
      const worker = async () => {
        while (next < generated.length) {
          const i = next++;
          const c = generated[i]!;
          const where = `case ${start + i} (seed ${seed}): ${c.method} ${c.path.slice(0, 120)} ${JSON.stringify(c.headers).slice(0, 200)} body ${c.body?.subarray(0, 80).toString('utf8') ?? '-'}`;
          counts.cases!++;
          let r: { status: number; body: string };
          try {
            r = await send(hub!.url, c, token, tokens);
          } catch (e) {
            failures.add(`${where}: ${(e as Error).message}`);
            continue;
          }
          const key = r.status === -1 ? 'status.closed' : `status.${r.status}`;
          counts[key] = (counts[key] ?? 0) + 1;
          if (c.expect) {
            counts['cases.unknown_field'] = (counts['cases.unknown_field'] ?? 0) + 1;
            const code = envelopeOf(r.body)?.error?.code;
            if (r.status !== c.expect.status || code !== c.expect.code)
              failures.add(`${where}: ${r.status} ${String(code)}, not ${c.expect.status} ${c.expect.code}: ${r.body.slice(0, 200)}`);
            else counts['answered.unknown_field'] = (counts['answered.unknown_field'] ?? 0) + 1;
          }
          if (r.status >= 500) failures.add(`${where}: ${r.status} ${r.body.slice(0, 200)}`);
          else if (r.status >= 400 && c.method !== 'HEAD') {
            const env = envelopeOf(r.body);
            if (typeof env?.error?.code !== 'string' || typeof env.error.message !== 'string')
              failures.add(`${where}: ${r.status} without the error envelope: ${r.body.slice(0, 200)}`);
          }
        }
      };
      await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
    }
    const after = await tableChecksums(hub.db.pool);
    for (const t of Object.keys(before)) if (before[t] !== after[t]) failures.add(`table ${t} changed: ${before[t]} → ${after[t]}`);
    counts.tables = Object.keys(before).length;
    counts.failures = failures.count;
    return { counts, failures: failures.messages };
  } finally {
    await hub?.stop();
    await stopServices();
  }
}

const target: FuzzTarget = {
  name: 'http',
  description:
    'bad paths, headers and bodies on every /openapi.json route and the partner webhook: no 5xx, 4xx in the envelope, unknown fields a 400 unknown_field, no business row changed',
  defaultCases: 100_000,
  run: runHttpFuzz,
};
export default target;
