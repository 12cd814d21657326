import {
  CodeChallengeMethod,
  decodeIdToken,
  generateCodeVerifier,
  generateState,
  OAuth2Client,
} from 'arctic';
import { timingSafeEqual } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { isDomainError } from '@stylelicense/contracts';
import type { AppDeps } from '../deps';
import { signInWithProfile, type ExternalProfile } from '../identity/accounts';
import type { RateLimitStore } from '../platform/rate-limits';
import { createSession, sessionPolicy } from '../identity/sessions';
import { clearCookie, cookieOptions, readCookie } from './cookies';
import { rateLimitRoute } from './rate-limit';
import { setSessionCookie } from './session-cookie';

const STATE_COOKIE = 'sl_oauth_state';
const VERIFIER_COOKIE = 'sl_oauth_verifier';
const NEXT_COOKIE = 'sl_oauth_next';
const FLOW_MAX_AGE_MS = 10 * 60 * 1000;
const GOOGLE_ISSUERS = new Set(['https://accounts.google.com', 'accounts.google.com']);

/** Error codes the web app receives as `?error=` after a failed sign-in. */
export type SignInErrorCode =
  | 'access_denied'
  | 'invalid_state'
  | 'exchange_failed'
  | 'invalid_id_token'
  | 'account_disabled'
  | 'sign_in_unavailable'
  | 'server_error';

/**
 * Google sign-in (OpenID Connect, authorization code + PKCE, via arctic). The state and the PKCE
 * verifier travel in short-lived HttpOnly cookies scoped to this path. The ID token comes straight
 * from Google's token endpoint over TLS, which OpenID Connect (Core §3.1.3.7) accepts in place of a
 * signature check; we still check its issuer, audience and expiry.
 */
export function googleAuthRoutes(deps: AppDeps, rateLimits: RateLimitStore): Router {
  const { config } = deps;
  const routes = Router();
  const production = config.MODE === 'production';
  const flowCookie = cookieOptions(production, { path: '/api/auth/google', maxAge: FLOW_MAX_AGE_MS });
  const redirectUri = `${config.PUBLIC_URL.replace(/\/+$/, '')}/api/auth/google/callback`;
  const client =
    config.GOOGLE_CLIENT_ID && config.GOOGLE_CLIENT_SECRET
      ? new OAuth2Client(config.GOOGLE_CLIENT_ID, config.GOOGLE_CLIENT_SECRET, redirectUri)
      : null;

  const toWeb = (res: Response, path: string, error?: SignInErrorCode) => {
    const url = new URL(path, config.WEB_ORIGIN);
    if (error) url.searchParams.set('error', error);
    res.redirect(302, url.toString());
  };
  const endFlow = (res: Response) => {
    for (const name of [STATE_COOKIE, VERIFIER_COOKIE, NEXT_COOKIE]) clearCookie(res, name, flowCookie);
  };

  const signInLimit = rateLimitRoute(
    rateLimits,
    'signIn',
    config.RATE_LIMIT_SIGN_IN,
    (req) => `ip:${req.ip ?? 'unknown'}`,
  );

  routes.get('/api/auth/google/login', signInLimit, (req, res) => {
    if (!client) return toWeb(res, '/', 'sign_in_unavailable');
    const state = generateState();
    const verifier = generateCodeVerifier();
    const url = client.createAuthorizationURLWithPKCE(
      config.GOOGLE_AUTHORIZATION_URL,
      state,
      CodeChallengeMethod.S256,
      verifier,
      ['openid', 'email', 'profile'],
    );
    url.searchParams.set('prompt', 'select_account');
    res.cookie(STATE_COOKIE, state, flowCookie);
    res.cookie(VERIFIER_COOKIE, verifier, flowCookie);
    res.cookie(NEXT_COOKIE, safeNext(req.query.next), flowCookie);
    res.redirect(302, url.toString());
  });

  routes.get('/api/auth/google/callback', async (req: Request, res: Response) => {
    const next = safeNext(readCookie(req, NEXT_COOKIE));
    const fail = (code: SignInErrorCode) => {
      endFlow(res);
      toWeb(res, next, code);
    };
    if (!client) return fail('sign_in_unavailable');
    if (typeof req.query.error === 'string')
      return fail(req.query.error === 'access_denied' ? 'access_denied' : 'exchange_failed');
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const code = typeof req.query.code === 'string' ? req.query.code : '';
    const expectedState = readCookie(req, STATE_COOKIE) ?? '';
    const verifier = readCookie(req, VERIFIER_COOKIE);
    if (!code || !verifier || !sameText(state, expectedState)) return fail('invalid_state');

    let profile: ExternalProfile;
    try {
      const tokens = await client.validateAuthorizationCode(config.GOOGLE_TOKEN_URL, code, verifier);
      const parsed = parseGoogleIdToken(tokens.idToken(), config.GOOGLE_CLIENT_ID!);
      if (!parsed) return fail('invalid_id_token');
      profile = parsed;
    } catch (error) {
      req.log.warn({ err: error }, 'Google code exchange failed');
      return fail('exchange_failed');
    }
    try {
      const { user } = await signInWithProfile(deps.db, profile);
      const session = await createSession(deps.db, sessionPolicy(config), {
        userId: user.id,
        ipAddress: req.ip,
        userAgent: req.headers['user-agent'],
      });
      setSessionCookie(res, config, session);
      endFlow(res);
      toWeb(res, next);
    } catch (error) {
      if (isDomainError(error, 'FORBIDDEN')) return fail('account_disabled');
      req.log.error({ err: error }, 'Google sign-in failed');
      return fail('server_error');
    }
  });

  return routes;
}

function parseGoogleIdToken(idToken: string, clientId: string): ExternalProfile | null {
  let claims: Record<string, unknown>;
  try {
    claims = decodeIdToken(idToken) as Record<string, unknown>;
  } catch {
    return null;
  }
  const audience = claims.aud;
  const audienceOk = audience === clientId || (Array.isArray(audience) && audience.includes(clientId));
  if (!GOOGLE_ISSUERS.has(String(claims.iss)) || !audienceOk) return null;
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return null;
  if (typeof claims.sub !== 'string' || claims.sub.length === 0 || claims.sub.length > 255) return null;
  return {
    provider: 'google',
    subject: claims.sub,
    email: typeof claims.email === 'string' ? claims.email.slice(0, 320) : null,
    emailVerified: claims.email_verified === true,
    name: typeof claims.name === 'string' ? claims.name : null,
    picture: typeof claims.picture === 'string' ? claims.picture.slice(0, 1024) : null,
  };
}

/** Only same-site paths: never an open redirect. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[\x21-\x7e]{0,500}$/.test(value) ? value : '/';
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length > 0 && left.length === right.length && timingSafeEqual(left, right);
}
