import type { ErrorRequestHandler, Request, Response } from 'express';
import express, { Router } from 'express';
import { DomainError } from '@stylelicense/contracts';
import { appRouter } from '../app-router';
import type { AppDeps } from '../deps';
import { runIdempotent } from '../platform/idempotency';
import type { Context } from '../trpc/context';
import { toApiError } from '../trpc/errors';
import { createCallerFactory } from '../trpc/init';
import { renderApiReference } from './api-docs';
import { openApiDocument, inputSchemaOf } from './openapi';
import { expressPathOf, pathParamsOf, REST_V1_ROUTES, type RestRoute } from './rest-routes';

const createCaller = createCallerFactory(appRouter);
type Procedure = (input: unknown) => Promise<unknown>;

/** The procedure at `path` ("generations.create") on a caller for one request's context. */
function procedureOn(context: Context, path: string): Procedure {
  let node: unknown = createCaller(context);
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  return node as Procedure;
}

/**
 * Query strings carry only text: turn each value into what the input schema declares (numbers,
 * booleans, arrays); the procedure's own schema still validates the result.
 */
type PropertySchema = { type?: unknown; anyOf?: Array<{ type?: unknown }> };

function queryInput(query: Request['query'], properties: Record<string, PropertySchema>) {
  const input: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(query)) {
    const declared = properties[name];
    // `type` may be a list, and a nullable property declares its type under anyOf.
    const types = [declared?.type, ...(declared?.anyOf ?? []).map((option) => option.type)].flat();
    const values = (Array.isArray(raw) ? raw : [raw]).map(String);
    const one = values[0] ?? '';
    if (types.includes('array')) input[name] = values.flatMap((value) => value.split(','));
    else if (
      (types.includes('integer') || types.includes('number')) &&
      one.trim() !== '' &&
      !Number.isNaN(Number(one))
    )
      input[name] = Number(one);
    else if (types.includes('boolean') && (one === 'true' || one === 'false')) input[name] = one === 'true';
    else input[name] = one;
  }
  return input;
}

function inputOf(route: RestRoute, properties: Record<string, PropertySchema>, req: Request): unknown {
  const params = Object.fromEntries(pathParamsOf(route).map((name) => [name, req.params[name]]));
  if (route.method === 'get') return { ...queryInput(req.query, properties), ...params };
  const body: unknown = req.body ?? {};
  if (typeof body !== 'object' || Array.isArray(body) || body === null)
    throw new DomainError('VALIDATION_ERROR', 'The request body must be a JSON object.');
  return { ...(body as Record<string, unknown>), ...params };
}

function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  if (key.length < 1 || key.length > 255)
    throw new DomainError('VALIDATION_ERROR', 'Idempotency-Key must be 1–255 characters.', {
      field: 'Idempotency-Key',
    });
  return key;
}

/**
 * REST v1 under /api/v1 (plus its document) and the reference page: every route calls its tRPC
 * procedure with the request's context, so guards, API-key scopes, rate limits and rules are the
 * procedure's. Errors answer `{ error: { code, httpStatus, message, … } }`.
 */
export function restV1Routes(
  deps: AppDeps,
  createContext: (exchange: { req: Request; res: Response }) => Promise<Context>,
): { api: Router; docs: Router } {
  const document = openApiDocument(deps.config.PUBLIC_URL ?? '');
  const reference = renderApiReference(document);
  const api = Router();
  api.use(express.json({ limit: '1mb' }));
  api.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  for (const route of REST_V1_ROUTES) {
    const properties = (inputSchemaOf(route).properties ?? {}) as Record<string, PropertySchema>;
    api[route.method](expressPathOf(route), async (req, res) => {
      const context = await createContext({ req, res });
      const input = inputOf(route, properties, req);
      const call = () => procedureOn(context, route.procedure)(input);
      const key = route.method === 'post' ? idempotencyKeyOf(req) : undefined;
      if (key && context.viewer) {
        const { body, replayed } = await runIdempotent(
          deps.db,
          {
            userId: context.viewer.userId,
            key,
            scope: route.procedure,
            request: input,
            keepMs: deps.config.IDEMPOTENCY_KEY_TTL_HOURS * 3600_000,
          },
          call,
        );
        if (replayed) res.set('idempotent-replayed', 'true');
        res.json(body);
        return;
      }
      res.json(await call());
    });
  }
  api.use((_req, res) => {
    res
      .status(404)
      .json({ error: { code: 'NOT_FOUND', httpStatus: 404, message: 'No such REST v1 route.' } });
  });
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    const body = toApiError(error);
    if (body.httpStatus >= 500) req.log.error({ err: error }, 'unhandled error');
    res.status(body.httpStatus).json({ error: body });
  };
  api.use(onError);

  const docs = Router();
  docs.get('/', (_req, res) => {
    res.type('html').send(reference);
  });
  return { api, docs };
}
