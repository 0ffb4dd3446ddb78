/**
 * Opens the director's PostgreSQL connection pool. One pool per process; `close` ends it. Connection
 * errors are reported with the server address but never the password.
 */
import { EsxbackupError } from "@esxbackup/domain";
import postgres from "postgres";

export type Sql = postgres.Sql;

export interface PostgresOptions {
  databaseUrl: string;
  maxConnections?: number;
  /** The application name shown in pg_stat_activity. */
  applicationName?: string;
}

function redact(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password !== "") url.password = "***";
    return url.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

export async function connectPostgres(options: PostgresOptions): Promise<Sql> {
  const sql = postgres(options.databaseUrl, {
    max: options.maxConnections ?? 10,
    onnotice: () => undefined,
    connection: { application_name: options.applicationName ?? "esxbackup-director" },
  });
  try {
    await sql`select 1`;
  } catch (error) {
    await sql.end({ timeout: 1 });
    throw new EsxbackupError("database_unavailable", `cannot reach PostgreSQL at ${redact(options.databaseUrl)}: ${(error as Error).message}`, { cause: error });
  }
  return sql;
}
