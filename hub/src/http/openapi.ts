// The OpenAPI document the hub serves at /openapi.json. Each feature describes its own routes
// (next to them, in its routes.ts) with these helpers, request bodies drawn from the same zod schemas
// the routes parse with, so the description cannot drift from what is enforced; app.ts hands every
// feature's paths to openApiDocument.
import { z } from 'zod';

/** Paths as OpenAPI lists them: path, then method, then the operation. */
export type ApiPaths = Record<string, Record<string, unknown>>;

export const body = (schema: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input' }) } },
});
export const query = (schema: z.ZodObject) =>
  Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: false,
    description: (field as z.ZodType).description,
    schema: z.toJSONSchema(field as z.ZodType, { io: 'input' }),
  }));
export const error = { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
export const op = (summary: string, roles: string, extra: Record<string, unknown> = {}) => ({
  summary,
  description: `Who may call: ${roles}.`,
  responses: { '200': { description: 'ok' }, '400': error, '401': error, '403': error, '404': error, '409': error },
  ...extra,
});

export function openApiDocument(paths: ApiPaths) {
  return {
    openapi: '3.1.0',
    info: { title: 'xinbao hub', version: '0.1.0', description: 'Citywide self-service document lockers: the hub API.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
            },
          },
        },
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
