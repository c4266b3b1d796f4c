/**
 * The tables `PostgresSessionStore` creates on first use (schema version 2: current state, not a
 * commit log) and the check that refuses a database of another schema version.
 */
import { StateFormatError } from '@pyflue/core'

export const SCHEMA_VERSION = 2

/** The statements that create schema 2; each is idempotent. */
export function schemaStatements(prefix: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${prefix}schema (version integer PRIMARY KEY)`,
    `CREATE TABLE IF NOT EXISTS ${prefix}sessions (
      id text PRIMARY KEY,
      version integer NOT NULL DEFAULT 0,
      message_count integer NOT NULL DEFAULT 0,
      delta_count integer NOT NULL DEFAULT 0,
      workspace_bytes bigint NOT NULL DEFAULT 0,
      python_backend text,
      python_engine_version text,
      python_snapshot bytea,
      sandbox_provider text,
      sandbox_id text,
      extensions jsonb NOT NULL DEFAULT '{}'::jsonb,
      updated_at timestamptz,
      lease_owner text,
      lease_token text,
      lease_ttl_ms bigint,
      lease_expires_at bigint
    )`,
    `CREATE TABLE IF NOT EXISTS ${prefix}messages (
      id text NOT NULL,
      seq integer NOT NULL,
      body json NOT NULL,
      PRIMARY KEY (id, seq)
    )`,
    `CREATE TABLE IF NOT EXISTS ${prefix}python_deltas (
      id text NOT NULL,
      seq integer NOT NULL,
      changed json NOT NULL,
      removed json NOT NULL,
      PRIMARY KEY (id, seq)
    )`,
    `CREATE TABLE IF NOT EXISTS ${prefix}workspace_files (
      id text NOT NULL,
      path text NOT NULL,
      size integer NOT NULL,
      content bytea NOT NULL,
      PRIMARY KEY (id, path)
    )`,
    `INSERT INTO ${prefix}schema (version) VALUES (${SCHEMA_VERSION}) ON CONFLICT DO NOTHING`,
  ]
}

/** The tables of schema 1 (a commit log), named so the refusal says what to drop. */
export function schemaOneTables(prefix: string): string[] {
  return ['schema', 'sessions', 'commits', 'leases'].map((table) => `${prefix}${table}`)
}

/**
 * Refuses a database whose `<prefix>schema` records another version than 2 with a
 * `StateFormatError` (reason `'version'`) saying what to do; `versions` are the recorded ones.
 */
export function refuseOtherSchema(prefix: string, versions: number[]): void {
  if (versions.length === 0 || versions.includes(SCHEMA_VERSION)) return
  const newest = Math.max(...versions)
  if (newest > SCHEMA_VERSION) {
    throw new StateFormatError(
      'version',
      `The PostgreSQL tables with prefix '${prefix}' are schema ${newest}, written by a newer @pyflue/store-postgres; this version reads schema ${SCHEMA_VERSION}. Upgrade @pyflue/store-postgres, or pass another tablePrefix.`,
    )
  }
  throw new StateFormatError(
    'version',
    `The PostgreSQL tables with prefix '${prefix}' are schema ${newest} (a commit log replayed on every load); this version keeps schema ${SCHEMA_VERSION} (current state) and does not migrate them. Drop the tables ${schemaOneTables(prefix).join(', ')} (this forgets their sessions), or pass another tablePrefix to start beside them.`,
  )
}
