/**
 * The tables `PostgresSessionStore` creates on first use (schema version 1). A later schema is a
 * new `SCHEMA_VERSION` whose migration statements run once, recorded in `<prefix>schema`.
 */
export const SCHEMA_VERSION = 1

export function schemaStatements(prefix: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${prefix}schema (version integer PRIMARY KEY)`,
    `CREATE TABLE IF NOT EXISTS ${prefix}sessions (
      id text PRIMARY KEY,
      version integer NOT NULL,
      workspace_sizes jsonb NOT NULL,
      python_backend text,
      python_engine_version text,
      updated_at timestamptz NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS ${prefix}commits (
      id text NOT NULL,
      version integer NOT NULL,
      body jsonb NOT NULL,
      PRIMARY KEY (id, version)
    )`,
    `CREATE TABLE IF NOT EXISTS ${prefix}leases (
      id text PRIMARY KEY,
      owner_id text NOT NULL,
      token text NOT NULL,
      ttl_ms bigint NOT NULL,
      expires_at bigint NOT NULL
    )`,
    `INSERT INTO ${prefix}schema (version) VALUES (${SCHEMA_VERSION}) ON CONFLICT DO NOTHING`,
  ]
}
