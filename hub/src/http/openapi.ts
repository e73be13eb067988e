// The OpenAPI document the hub serves at /openapi.json, with request bodies drawn from the same zod
// schemas the routes parse with, so the description cannot drift from what is enforced.
import { z } from 'zod';
import { CreateApplicationBody } from '../features/applications/service.js';
import { NearbyParams } from '../features/sites/routes.js';
import { LoginBody, ReceiveBody, RegisterKioskBody } from './routes.js';

const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input' }) } } });
const query = (schema: z.ZodObject) =>
  Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: false,
    description: (field as z.ZodType).description,
    schema: z.toJSONSchema(field as z.ZodType, { io: 'input' }),
  }));
const error = { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
const op = (summary: string, roles: string, extra: Record<string, unknown> = {}) => ({
  summary,
  description: `Who may call: ${roles}.`,
  responses: { '200': { description: 'ok' }, '400': error, '401': error, '403': error, '404': error, '409': error },
  ...extra,
});

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'xinbao hub', version: '0.1.0', description: 'Citywide self-service document lockers: the hub API.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } } } },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/health': { get: op('200 when PostgreSQL and Redis answer, 503 otherwise', 'anyone') },
      '/api/auth/login': { post: op('Sign in; returns a bearer token', 'anyone', { requestBody: body(LoginBody) }) },
      '/api/me': { get: op('The signed-in user', 'any signed-in role') },
      '/api/matters': { get: op('Service matters and their materials', 'anyone') },
      '/api/sites': { get: op('Locker sites with free compartments per size', 'any signed-in role') },
      '/api/sites/nearby': {
        get: op(
          'Own and partner sites within radiusM of lat/lng or of an address (looked up in the city gazetteer), nearest first, with free compartments per size; 404 address_not_found says what was tried',
          'any signed-in role',
          { parameters: query(NearbyParams) },
        ),
      },
      '/api/applications': {
        post: op(
          'Apply. own_kiosk: reserves a compartment and returns the deposit code once. partner_locker: the parcel starts reserving and the hub reserves at the partner in the background; follow dropOff on GET /api/applications/{id}. 409 partner_not_configured when this hub has no partner network',
          'applicant',
          { requestBody: body(CreateApplicationBody) },
        ),
      },
      '/api/applications/{id}': {
        get: op(
          'An application with its parcels and custody events; for a partner locker also dropOff: reserving (attempts, lastError), ready (the partner open-code — to the applicant only — compartment, expiresAt), failed or expired (reason, whatNext), deposited, collected',
          'its applicant, staff, admin',
        ),
      },
      '/api/partner/webhooks': {
        post: {
          summary: "The partner network's signed event callbacks (code_issued, deposited, collected, expired, cancelled); idempotent by event id",
          description: 'Who may call: the partner network, proven by x-partner-event-signature = HMAC-SHA256(webhook secret, `${timestamp}.${raw body}`) with x-partner-event-timestamp within 5 minutes. A bad or stale signature is refused with 401 and recorded.',
          security: [],
          responses: { '200': { description: 'stored (or a duplicate)' }, '400': error, '401': error, '409': error },
        },
      },
      '/api/admin/partner/sites/refresh': {
        post: op("Queue a refresh of the partner's sites into the site registry; answers 202 with the job id", 'admin', { responses: { '202': { description: 'queued' }, '401': error, '403': error, '409': error } }),
      },
      '/api/admin/partner/sites/refresh/{jobId}': { get: op('A site refresh job: state, attempts, progress (pages fetched, sites imported) and, once done, its counts', 'admin') },
      '/api/parcels/{trackingNumber}': { get: op('A parcel and its tracking (custody) events', 'its applicant, staff, admin') },
      '/api/intake/receive': { post: op('Receive a parcel at the hall into the processing queue', 'staff', { requestBody: body(ReceiveBody) }) },
      '/api/admin/kiosks': { post: op('Register a kiosk device by its Ed25519 public key', 'admin', { requestBody: body(RegisterKioskBody) }) },
    },
  };
}
