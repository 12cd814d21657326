/**
 * REST v1: each route is a name for one tRPC procedure, which does all the work (its guard, rate
 * limit, input schema and rules), so REST and tRPC cannot drift apart. Path parameters and the
 * query string (GET) or JSON body (POST) together make the procedure's input.
 */
export interface RestRoute {
  method: 'get' | 'post';
  /** OpenAPI style, under /api/v1. */
  path: string;
  /** The procedure's path in the app router. */
  procedure: string;
  summary: string;
  tag: 'styles' | 'generations' | 'tokens' | 'profile' | 'notifications';
}

export const REST_V1_ROUTES: readonly RestRoute[] = [
  { method: 'get', path: '/styles', procedure: 'styles.list', summary: 'List styles', tag: 'styles' },
  {
    method: 'get',
    path: '/styles/search',
    procedure: 'search.query',
    summary: 'Search styles and artists',
    tag: 'styles',
  },
  { method: 'get', path: '/styles/{styleId}', procedure: 'styles.byId', summary: 'One style', tag: 'styles' },
  {
    method: 'post',
    path: '/generations',
    procedure: 'generations.create',
    summary: 'Generate an image in a style (takes the tokens)',
    tag: 'generations',
  },
  {
    method: 'get',
    path: '/generations',
    procedure: 'generations.mine',
    summary: 'My generations',
    tag: 'generations',
  },
  {
    method: 'get',
    path: '/generations/{generationId}',
    procedure: 'generations.byId',
    summary: 'One generation: status, progress, signed image URL when completed',
    tag: 'generations',
  },
  {
    method: 'post',
    path: '/generations/{generationId}/cancel',
    procedure: 'generations.cancel',
    summary: 'Cancel my queued or running generation (refunds its tokens)',
    tag: 'generations',
  },
  {
    method: 'get',
    path: '/tokens/balance',
    procedure: 'tokens.balance',
    summary: 'My token balance',
    tag: 'tokens',
  },
  {
    method: 'get',
    path: '/tokens/transactions',
    procedure: 'tokens.transactions',
    summary: 'My ledger entries, newest first',
    tag: 'tokens',
  },
  { method: 'get', path: '/me', procedure: 'auth.me', summary: 'My profile', tag: 'profile' },
  {
    method: 'get',
    path: '/notifications',
    procedure: 'notifications.list',
    summary: 'My notifications',
    tag: 'notifications',
  },
  {
    method: 'get',
    path: '/notifications/unread-count',
    procedure: 'notifications.unreadCount',
    summary: 'How many of my notifications are unread',
    tag: 'notifications',
  },
  {
    method: 'post',
    path: '/notifications/{notificationId}/read',
    procedure: 'notifications.markRead',
    summary: 'Mark one notification read',
    tag: 'notifications',
  },
  {
    method: 'post',
    path: '/notifications/read-all',
    procedure: 'notifications.markAllRead',
    summary: 'Mark all my notifications read',
    tag: 'notifications',
  },
];

/** `/styles/{styleId}` → `/styles/:styleId` (Express). */
export function expressPathOf(route: RestRoute): string {
  return route.path.replace(/\{(\w+)\}/g, ':$1');
}

export function pathParamsOf(route: RestRoute): string[] {
  return [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
}
