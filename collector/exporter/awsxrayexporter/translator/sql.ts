/**
 * The `sql` block of a call to an SQL database, as upstream builds it: `url` is the span name (the
 * connection string is no useful URL), `connection_string` the connection string (or
 * `localhost`) + `/` + database name, `database_type`, `user`, `sanitized_query`. Only for
 * `db.system` values that are SQL databases; the attributes are then consumed. The current
 * semantic-convention names (`db.system.name`, `db.namespace`, `db.query.text`) count as well
 * (an addition).
 */
import type { KeyValue } from '../../../pdata/model.js';
import { Take } from './http.js';

export interface SqlBlock {
  url?: string;
  connection_string?: string;
  database_type?: string;
  user?: string;
  sanitized_query?: string;
}

const SQL_SYSTEMS = new Set(['db2', 'derby', 'hive', 'mariadb', 'mssql', 'mysql', 'oracle', 'postgresql', 'sqlite', 'teradata', 'other_sql']);

export const SQL_ATTRIBUTE_KEYS: readonly string[] = [
  'db.connection_string', 'db.system', 'db.system.name', 'db.name', 'db.namespace', 'db.statement', 'db.query.text', 'db.user',
];

export class SqlFacts {
  connectionString?: string;
  system?: string;
  database?: string;
  statement?: string;
  user?: string;
  /** The attributes read, consumed only when the span is an SQL call. */
  parts: KeyValue[] | undefined;
}

export function takeSqlAttribute(kv: KeyValue, f: SqlFacts): Take {
  const s = kv.value?.stringValue;
  if (s == null) return Take.Keep;
  switch (kv.key) {
    case 'db.connection_string':
      f.connectionString ??= s;
      break;
    case 'db.system':
    case 'db.system.name':
      f.system ??= s;
      break;
    case 'db.name':
    case 'db.namespace':
      f.database ??= s;
      break;
    case 'db.statement':
    case 'db.query.text':
      f.statement ??= s;
      break;
    case 'db.user':
      f.user ??= s;
      break;
    default:
      return Take.Keep;
  }
  (f.parts ??= []).push(kv);
  return Take.Part;
}

/** The block for an SQL call; otherwise undefined and every attribute read goes to `unused`. */
export function buildSqlBlock(f: SqlFacts, spanName: string, unused: KeyValue[]): SqlBlock | undefined {
  if (f.system === undefined || !SQL_SYSTEMS.has(f.system)) {
    if (f.parts) for (const kv of f.parts) unused.push(kv);
    return undefined;
  }
  const sql: SqlBlock = {
    url: spanName,
    connection_string: `${f.connectionString || 'localhost'}/${f.database ?? ''}`,
    database_type: f.system,
  };
  if (f.user) sql.user = f.user;
  if (f.statement) sql.sanitized_query = f.statement;
  return sql;
}
