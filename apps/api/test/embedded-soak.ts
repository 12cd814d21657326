// The scripted bad inputs of the embedded soak test: the kinds the hardening issue found, in turn.
import superjson from 'superjson';
import type { Browser } from './http-client';

export interface SoakTarget {
  url: string;
  /** Signed in; its username is `takenName`'s neighbour. */
  member: Browser;
  takenName: string;
  styleId: string;
  /** The style's real price: the soak offers another. */
  price: number;
  generationId: string;
}

type Step = (target: SoakTarget, n: number) => Promise<Response>;

const json = (input: unknown) => JSON.stringify(superjson.serialize(input));
const tampered = Buffer.from(JSON.stringify({ t: new Date(0).toISOString(), id: 'zzz' })).toString(
  'base64url',
);
const post = (target: SoakTarget, path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${target.url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://localhost:3000', ...headers },
    body,
  });
const memberPost = (target: SoakTarget, path: string, input: unknown) =>
  target.member.fetch(`/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
    body: json(input),
  });
const get = (target: SoakTarget, path: string, input: unknown) =>
  target.member.fetch(`/trpc/${path}?input=${encodeURIComponent(json(input))}`);

/** Each answers 4xx on the fixed server; before the fixes several answered 500 or broke the database. */
export const SOAK_STEPS: Array<[string, Step]> = [
  ['taken username', (t) => memberPost(t, 'users.updateMe', { username: t.takenName })],
  ['NUL in a search', (t) => get(t, 'search.query', { q: `ink\u0000${Math.random()}` })],
  ['NUL in a bio', (t) => memberPost(t, 'users.updateMe', { bio: 'a\u0000b' })],
  [
    'NUL in a comment',
    (t) => memberPost(t, 'comments.create', { generationId: t.generationId, content: '\u0000' }),
  ],
  [
    'tampered comments cursor',
    (t) => get(t, 'comments.list', { generationId: t.generationId, cursor: tampered }),
  ],
  ['tampered feed cursor', (t) => get(t, 'generations.feed', { cursor: tampered })],
  ['garbage cursor', (t) => get(t, 'styles.list', { cursor: '%%%not-base64%%%' })],
  [
    'changed price',
    (t) =>
      memberPost(t, 'generations.create', {
        styleId: t.styleId,
        promptTags: ['sea'],
        aspectRatio: '1:1',
        expectedCost: t.price + 1,
      }),
  ],
  ['oversized body', (t) => post(t, 'auth.devSignIn', json({ username: 'x'.repeat(1_200_000) }))],
  [
    'spoofed X-Forwarded-For',
    (t, n) =>
      post(t, 'auth.devSignIn', json({ username: 'no spaces allowed' }), {
        'x-forwarded-for': `203.0.113.${n % 250}`,
      }),
  ],
  ['OPTIONS', (t) => fetch(`${t.url}/trpc/styles.list`, { method: 'OPTIONS' })],
  ['GET on a mutation', (t) => get(t, 'users.updateMe', { bio: 'x' })],
  ['text/plain body', (t) => post(t, 'auth.devSignIn', 'hello', { 'content-type': 'text/plain' })],
  ['malformed JSON', (t) => post(t, 'auth.devSignIn', '{"json":')],
  ['unknown procedure', (t) => get(t, 'styles.doesNotExist', {})],
  ['not a uuid', (t) => get(t, 'generations.byId', { generationId: 'zzz' })],
  ['forged storage token', (t) => fetch(`${t.url}/api/storage/results/x.png?token=forged`)],
  [
    'bad tag language',
    (t) =>
      memberPost(t, 'generations.create', {
        styleId: t.styleId,
        promptTags: ['고양이'],
        aspectRatio: '1:1',
        expectedCost: t.price,
      }),
  ],
];
