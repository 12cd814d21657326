import { ERROR_CODES } from '@stylelicense/contracts';
import { z } from 'zod';
import { appRouter } from '../app-router';
import { pathParamsOf, REST_V1_ROUTES, type RestRoute } from './rest-routes';

// The OpenAPI 3.1 document of REST v1, generated from the routes' procedures: their zod input
// schemas become parameters and request bodies (JSON Schema 2020-12, which OpenAPI 3.1 uses).

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
} & Record<string, unknown>;

interface ProcedureDef {
  type: 'query' | 'mutation' | 'subscription';
  inputs: z.ZodType[];
}

function procedureDef(path: string): ProcedureDef {
  const procedure = (
    appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef } | undefined>
  )[path];
  if (!procedure) throw new Error(`REST v1 names the unknown procedure ${path}`);
  return procedure._def;
}

/** The JSON Schema of what a route's procedure accepts (an empty object schema when it takes nothing). */
export function inputSchemaOf(route: RestRoute): JsonSchema {
  const [input] = procedureDef(route.procedure).inputs;
  if (!input) return { type: 'object', properties: {} };
  const { $schema: _ignored, ...schema } = z.toJSONSchema(input, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return schema;
}

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'httpStatus', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_CODES) },
        httpStatus: { type: 'integer' },
        message: { type: 'string' },
        details: { type: 'object' },
        issues: {
          type: 'array',
          items: {
            type: 'object',
            properties: { path: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
  },
};

function operationOf(route: RestRoute) {
  const schema = inputSchemaOf(route);
  const pathParams = pathParamsOf(route);
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const parameters: object[] = pathParams.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: properties[name] ?? { type: 'string' },
  }));
  const rest = Object.fromEntries(Object.entries(properties).filter(([name]) => !pathParams.includes(name)));
  let requestBody: object | undefined;
  if (route.method === 'get') {
    for (const [name, property] of Object.entries(rest))
      parameters.push({ name, in: 'query', required: required.has(name), schema: property });
  } else {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Repeat a write safely: the same key and body answer the first result again.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    });
    if (Object.keys(rest).length > 0) {
      const bodyRequired = [...required].filter((name) => !pathParams.includes(name));
      requestBody = {
        required: bodyRequired.length > 0,
        content: {
          'application/json': {
            schema: { ...schema, properties: rest, required: bodyRequired },
          },
        },
      };
    }
  }
  return {
    operationId: route.procedure,
    summary: route.summary,
    tags: [route.tag],
    parameters,
    ...(requestBody ? { requestBody } : {}),
    responses: {
      '200': {
        description: `What \`${route.procedure}\` returns, as JSON (dates as ISO 8601 strings).`,
        content: { 'application/json': { schema: { type: 'object' } } },
      },
      default: {
        description: 'An error with a stable code.',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    },
  };
}

export function openApiDocument(serverUrl: string) {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of REST_V1_ROUTES) (paths[route.path] ??= {})[route.method] = operationOf(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Style License REST API',
      version: '1.0.0',
      description:
        'Styles, generations, tokens, profile and notifications for programs. Authenticate with ' +
        '`Authorization: Bearer <API key>` (create keys on your profile); `read` keys may call GET ' +
        'routes, `generate` keys POST routes. Rate limits count per key.',
    },
    servers: [{ url: `${serverUrl}/api/v1` }],
    security: [{ apiKey: [] }],
    tags: [...new Set(REST_V1_ROUTES.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key, sl_…' } },
      schemas: { Error: errorSchema },
    },
  };
}
