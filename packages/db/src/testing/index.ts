export {
  createTestDatabase,
  createEmptyDatabase,
  ensureTemplateDatabase,
  type TestDatabase,
} from './database';
export { findSchemaDrift, SCHEMA_PATH } from './drift';
