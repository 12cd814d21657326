import { DomainError } from '@stylelicense/contracts';
import express, { Router, type ErrorRequestHandler } from 'express';
import type { AppDeps } from '../deps';
import { VERIFY_MAX_BYTES, verifyImage } from '../provenance/verify';
import { rateLimitRoute } from './rate-limit';

/** Where anyone POSTs an image's bytes as the body (any content type) to verify its provenance. */
export const VERIFY_ROUTE = '/api/provenance/verify';

/** The REST face of `provenance.verify`, for tools that send a file rather than call tRPC. */
export function provenanceRoutes(deps: AppDeps): Router {
  const routes = Router();
  routes.post(
    VERIFY_ROUTE,
    rateLimitRoute(
      deps.rateLimits,
      'anonymous',
      deps.config.RATE_LIMIT_ANONYMOUS,
      (req) => `ip:${req.ip ?? 'unknown'}`,
    ),
    express.raw({ type: () => true, limit: VERIFY_MAX_BYTES }),
    async (req, res) => {
      const image = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      res.json(await verifyImage(deps, null, { image }));
    },
  );
  const tooLarge: ErrorRequestHandler = (error: { type?: string }, _req, _res, next) => {
    next(
      error.type === 'entity.too.large'
        ? new DomainError('IMAGE_SIZE_EXCEEDED', 'Images up to 20 MB can be verified.', {
            maxBytes: VERIFY_MAX_BYTES,
          })
        : error,
    );
  };
  routes.use(VERIFY_ROUTE, tooLarge);
  return routes;
}
