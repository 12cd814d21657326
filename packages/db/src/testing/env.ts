import { testServices } from '@stylelicense/test-kit';

/** @deprecated Use `testServices.postgres.url` from `@stylelicense/test-kit`. */
export const testDatabaseAdminUrl = testServices.postgres.url;
