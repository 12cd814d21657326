import type { CookieOptions, Request, Response } from 'express';

/** One cookie from the request's Cookie header (no parser middleware needed for the few we read). */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** HttpOnly, SameSite=Lax, Secure in production: the attributes every cookie of ours carries. */
export function cookieOptions(production: boolean, extra: CookieOptions = {}): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: production, path: '/', ...extra };
}

export function clearCookie(res: Response, name: string, options: CookieOptions): void {
  res.clearCookie(name, { ...options, maxAge: undefined, expires: undefined });
}
