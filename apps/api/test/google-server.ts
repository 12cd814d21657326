import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GoogleUser {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  picture?: string;
}

/**
 * A loopback stand-in for Google's OAuth 2.0 token endpoint (RFC 6749 §4.1.3 + PKCE, RFC 7636):
 * client authentication by HTTP Basic, form-encoded grant, the code_verifier checked against the
 * code_challenge of the authorization request, JSON tokens with an OpenID Connect id_token, and
 * `{ error, error_description }` on failure. Codes are issued by `authorize()` (what Google's consent
 * screen would do) and are single-use.
 */
export class FakeGoogle {
  private server!: Server;
  url = '';
  private readonly codes = new Map<string, { user: GoogleUser; challenge: string; redirectUri: string }>();
  tokenRequests = 0;

  constructor(
    readonly clientId: string,
    readonly clientSecret: string,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/token') {
          res.writeHead(404).end();
          return;
        }
        this.tokenRequests++;
        const fail = (status: number, error: string) => {
          res
            .writeHead(status, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error, error_description: error }));
        };
        const expected = `Basic ${Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64')}`;
        if (req.headers.authorization !== expected) return fail(401, 'invalid_client');
        const form = new URLSearchParams(body);
        const grant = this.codes.get(form.get('code') ?? '');
        if (form.get('grant_type') !== 'authorization_code' || !grant) return fail(400, 'invalid_grant');
        this.codes.delete(form.get('code')!);
        const challenge = createHash('sha256')
          .update(form.get('code_verifier') ?? '')
          .digest('base64url');
        if (challenge !== grant.challenge || form.get('redirect_uri') !== grant.redirectUri)
          return fail(400, 'invalid_grant');
        const now = Math.floor(Date.now() / 1000);
        const idToken = unsignedJwt({
          iss: 'https://accounts.google.com',
          aud: this.clientId,
          iat: now,
          exp: now + 3600,
          ...grant.user,
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            access_token: 'ya29.fake',
            token_type: 'Bearer',
            expires_in: 3599,
            scope: 'openid email profile',
            id_token: idToken,
          }),
        );
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The user consents on the authorization URL our API redirected to: returns the callback query. */
  authorize(authorizationUrl: string, user: GoogleUser): { code: string; state: string } {
    const url = new URL(authorizationUrl);
    if (url.searchParams.get('code_challenge_method') !== 'S256') throw new Error('PKCE S256 expected');
    const code = `code_${Math.random().toString(36).slice(2)}`;
    this.codes.set(code, {
      user,
      challenge: url.searchParams.get('code_challenge')!,
      redirectUri: url.searchParams.get('redirect_uri')!,
    });
    return { code, state: url.searchParams.get('state')! };
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'test', typ: 'JWT' })}.${part(claims)}.${Buffer.from('signature').toString('base64url')}`;
}
