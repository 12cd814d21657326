import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import internals from '@prisma/internals';
import pg from 'pg';

export const SCHEMA_PATH = fileURLToPath(new URL('../../../../prisma/schema.prisma', import.meta.url));

type DmmfModel = Awaited<ReturnType<typeof internals.getDMMF>>['datamodel']['models'][number];
type DmmfField = DmmfModel['fields'][number];

interface ColumnInfo {
  type: string;
  nullable: boolean;
}

const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
};

/** The PostgreSQL type Prisma's migrate would create for a field, in format_type() spelling. */
function expectedType(field: DmmfField, enumDbNames: Map<string, string>): string {
  if (field.kind === 'enum') return `"${enumDbNames.get(field.type) ?? field.type}"`;
  const [native, args = []] = (field.nativeType ?? []) as [string?, string[]?];
  switch (native) {
    case undefined:
      return SCALAR_TYPES[field.type] ?? `unknown(${field.type})`;
    case 'Uuid':
      return 'uuid';
    case 'VarChar':
      return args.length ? `character varying(${args[0]})` : 'character varying';
    case 'Char':
      return `character(${args[0] ?? 1})`;
    case 'Text':
      return 'text';
    case 'Timestamptz':
      return `timestamp(${args[0] ?? 6}) with time zone`;
    case 'Timestamp':
      return `timestamp(${args[0] ?? 6}) without time zone`;
    case 'JsonB':
      return 'jsonb';
    case 'Integer':
      return 'integer';
    case 'SmallInt':
      return 'smallint';
    default:
      return native.toLowerCase();
  }
}

const ON_DELETE: Record<string, string> = {
  a: 'NoAction',
  r: 'Restrict',
  c: 'Cascade',
  n: 'SetNull',
  d: 'SetDefault',
};

/**
 * Differences between prisma/schema.prisma and a migrated database: tables, columns (type and
 * nullability), enums, primary keys, unique constraints and foreign keys (with their delete rule).
 * Empty when the two agree. Extra SQL-only objects (CHECKs, partial/trigram indexes, triggers) are
 * deliberately not compared: they are what the SQL adds on purpose.
 */
export async function findSchemaDrift(url: string, schemaText?: string): Promise<string[]> {
  const datamodel = schemaText ?? (await readFile(SCHEMA_PATH, 'utf8'));
  const { datamodel: dm } = await internals.getDMMF({ datamodel });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const db = await readDatabase(client);
    const drift: string[] = [];
    const enumDbNames = new Map(dm.enums.map((e) => [e.name, e.dbName ?? e.name]));

    for (const e of dm.enums) {
      const name = e.dbName ?? e.name;
      const actual = db.enums.get(name);
      const expected = e.values.map((v) => v.dbName ?? v.name);
      if (!actual) drift.push(`enum ${name}: missing in database`);
      else if (actual.join(',') !== expected.join(','))
        drift.push(`enum ${name}: database [${actual.join(',')}] ≠ schema [${expected.join(',')}]`);
    }

    const modelTables = new Set<string>();
    const tableOf = new Map(dm.models.map((m) => [m.name, m.dbName ?? m.name]));
    for (const model of dm.models) {
      const table = model.dbName ?? model.name;
      modelTables.add(table);
      const columns = db.columns.get(table);
      if (!columns) {
        drift.push(`table ${table}: missing in database`);
        continue;
      }
      const columnOf = new Map(model.fields.map((f) => [f.name, f.dbName ?? f.name]));
      const scalarColumns = new Set<string>();
      for (const field of model.fields) {
        if (field.kind === 'object') continue;
        const column = field.dbName ?? field.name;
        scalarColumns.add(column);
        const actual = columns.get(column);
        if (!actual) {
          drift.push(`${table}.${column}: in schema, missing in database`);
          continue;
        }
        const type = expectedType(field, enumDbNames);
        if (actual.type !== type)
          drift.push(`${table}.${column}: database type ${actual.type} ≠ schema ${type}`);
        if (actual.nullable === field.isRequired) {
          drift.push(
            `${table}.${column}: database ${actual.nullable ? 'NULL' : 'NOT NULL'} ≠ schema ${field.isRequired ? 'required' : 'optional'}`,
          );
        }
      }
      for (const column of columns.keys()) {
        if (!scalarColumns.has(column)) drift.push(`${table}.${column}: in database, missing in schema`);
      }

      const idFields = model.primaryKey?.fields ?? model.fields.filter((f) => f.isId).map((f) => f.name);
      const pk = idFields.map((f) => columnOf.get(f)).join(',');
      if ((db.primaryKeys.get(table) ?? '') !== pk)
        drift.push(`${table}: primary key (${db.primaryKeys.get(table)}) ≠ schema (${pk})`);

      const expectedUniques = new Set([
        ...model.fields.filter((f) => f.isUnique).map((f) => columnOf.get(f.name)!),
        ...model.uniqueFields.map((fields) => fields.map((f) => columnOf.get(f)).join(',')),
      ]);
      const actualUniques = db.uniques.get(table) ?? new Set<string>();
      for (const unique of expectedUniques)
        if (!actualUniques.has(unique)) drift.push(`${table}: unique (${unique}) missing in database`);
      for (const unique of actualUniques)
        if (!expectedUniques.has(unique))
          drift.push(`${table}: unique (${unique}) in database, not in schema`);

      const expectedFks = new Set<string>();
      for (const field of model.fields) {
        if (field.kind !== 'object' || !field.relationFromFields?.length) continue;
        const target = dm.models.find((m) => m.name === field.type)!;
        const targetColumns = new Map(target.fields.map((f) => [f.name, f.dbName ?? f.name]));
        const onDelete = field.relationOnDelete ?? (field.isRequired ? 'Restrict' : 'SetNull');
        expectedFks.add(
          `(${field.relationFromFields.map((f) => columnOf.get(f)).join(',')}) → ${tableOf.get(field.type)}(${(field.relationToFields ?? []).map((f) => targetColumns.get(f)).join(',')}) on delete ${onDelete}`,
        );
      }
      const actualFks = db.foreignKeys.get(table) ?? new Set<string>();
      for (const fk of expectedFks)
        if (!actualFks.has(fk)) drift.push(`${table}: foreign key ${fk} missing in database`);
      for (const fk of actualFks)
        if (!expectedFks.has(fk)) drift.push(`${table}: foreign key ${fk} in database, not in schema`);
    }
    for (const table of db.columns.keys()) {
      if (!modelTables.has(table) && table !== '_prisma_migrations')
        drift.push(`table ${table}: in database, missing in schema`);
    }
    return drift;
  } finally {
    await client.end();
  }
}

async function readDatabase(client: pg.Client) {
  const columns = new Map<string, Map<string, ColumnInfo>>();
  const columnRows = await client.query<{ table: string; column: string; type: string; nullable: boolean }>(`
    SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped`);
  for (const row of columnRows.rows) {
    if (!columns.has(row.table)) columns.set(row.table, new Map());
    columns.get(row.table)!.set(row.column, { type: row.type, nullable: row.nullable });
  }

  const enums = new Map<string, string[]>();
  const enumRows = await client.query<{ name: string; value: string }>(`
    SELECT t.typname AS name, e.enumlabel AS value FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
    JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' ORDER BY t.typname, e.enumsortorder`);
  for (const row of enumRows.rows) enums.set(row.name, [...(enums.get(row.name) ?? []), row.value]);

  // Unique = a unique, non-partial, plain-column index that is not the primary key.
  const primaryKeys = new Map<string, string>();
  const uniques = new Map<string, Set<string>>();
  const indexRows = await client.query<{ table: string; primary: boolean; columns: string[] }>(`
    SELECT c.relname AS table, i.indisprimary AS primary,
           array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL`);
  for (const row of indexRows.rows) {
    if (row.primary) primaryKeys.set(row.table, row.columns.join(','));
    else uniques.set(row.table, (uniques.get(row.table) ?? new Set()).add(row.columns.join(',')));
  }

  const foreignKeys = new Map<string, Set<string>>();
  const fkRows = await client.query<{
    table: string;
    columns: string[];
    target: string;
    target_columns: string[];
    on_delete: string;
  }>(`
    SELECT c.relname AS table, t.relname AS target, con.confdeltype AS on_delete,
           array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
           array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS target_columns
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_class t ON t.oid = con.confrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE con.contype = 'f' AND n.nspname = 'public'`);
  for (const row of fkRows.rows) {
    const fk = `(${row.columns.join(',')}) → ${row.target}(${row.target_columns.join(',')}) on delete ${ON_DELETE[row.on_delete]}`;
    foreignKeys.set(row.table, (foreignKeys.get(row.table) ?? new Set()).add(fk));
  }
  return { columns, enums, primaryKeys, uniques, foreignKeys };
}
