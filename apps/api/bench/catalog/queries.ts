import type { Prisma } from '@stylelicense/db';
import { feedOrder, LISTED_GENERATIONS, selectGenerations } from '../../src/generations/queries';
import { peopleSearchQuery, styleSearchQuery } from '../../src/search/queries';
import { LISTED_STYLES, styleCardsQuery } from '../../src/styles/queries';
import * as searchBefore from '../support/search-before';

/** One statement as `pg` takes it, and how the API plans it (see queryRows' `plan`). */
export interface CeilingQuery {
  text: string;
  values: unknown[];
  plan?: 'generic';
}

const fromPrisma = (sql: Prisma.Sql, plan?: 'generic'): CeilingQuery => ({
  text: sql.text,
  values: sql.values,
  ...(plan ? { plan } : {}),
});

/**
 * The statements each benchmarked request makes, built by the very functions the services use, so
 * the ceiling runs exactly the API's SQL minus Prisma, tRPC, HTTP and JSON.
 */
export const CEILING_QUERIES = {
  stylesRecent: [fromPrisma(styleCardsQuery([LISTED_STYLES], 'recent', 21))],
  stylesPopular: [fromPrisma(styleCardsQuery([LISTED_STYLES], 'popular', 21))],
  feedRecent: [fromPrisma(selectGenerations(null, LISTED_GENERATIONS, feedOrder('recent', 21)))],
  feedPopular: [fromPrisma(selectGenerations(null, LISTED_GENERATIONS, feedOrder('popular', 21)))],
  // The service reads one row more than the page (limit 10) to know whether the list goes on, and
  // plans its statements once per connection (a query of 3 characters or more).
  search: [
    fromPrisma(styleSearchQuery('water', 11), 'generic'),
    fromPrisma(peopleSearchQuery('water', 11), 'generic'),
  ],
  // The ranked statements search ran before candidates were cut to the page ahead of the joins.
  searchBefore: [searchBefore.styleSearchQuery('water', 11), searchBefore.peopleSearchQuery('water', 11)],
} satisfies Record<string, CeilingQuery[]>;
