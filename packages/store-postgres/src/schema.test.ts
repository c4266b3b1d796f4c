/**
 * Schema 2 on a real PostgreSQL (127.0.0.1): a commit writes only the rows of what it changed,
 * and a database of schema 1 is refused with a typed error saying what to do.
 */

import { type PostgresServer, startPostgres } from '@pyflue/test-support'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { PostgresSessionStore } from './postgres-session-store.js'

const server: PostgresServer | undefined = await startPostgres()
afterAll(() => server?.stop())
const bytes = (...values: number[]) => new Uint8Array(values)

describe.skipIf(!server && process.env.CI !== 'true')('PostgresSessionStore schema 2', () => {
  const url = () => {
    if (!server) throw new Error('No PostgreSQL found; CI must run the PostgreSQL store tests.')
    return server.connectionString
  }

  it('a commit rewrites no row it did not change (row versions, xmin, stay)', async () => {
    const store = new PostgresSessionStore({ connectionString: url(), tablePrefix: 'rows_' })
    const client = new pg.Client({ connectionString: url() })
    await client.connect()
    try {
      const lease = await store.acquire('s', { ownerId: 'a', ttlMs: 60_000 })
      await store.commit(lease, {
        expectedVersion: 0,
        appendMessages: ['one', 'two'],
        workspace: { kind: 'snapshot', files: { '/a': bytes(1), '/b': bytes(2), '/c': bytes(3) } },
      })
      const xmins = async (table: string, key: string) =>
        Object.fromEntries(
          (
            await client.query(`SELECT ${key} AS k, xmin::text AS x FROM rows_${table} WHERE id = 's'`)
          ).rows.map((r) => [String(r.k), r.x]),
        )
      const filesBefore = await xmins('workspace_files', 'path')
      const messagesBefore = await xmins('messages', 'seq')
      await store.commit(lease, {
        expectedVersion: 1,
        appendMessages: ['three'],
        workspace: { kind: 'delta', written: { '/b': bytes(9) }, removed: ['/c'] },
      })
      const filesAfter = await xmins('workspace_files', 'path')
      const messagesAfter = await xmins('messages', 'seq')
      expect(Object.keys(filesAfter).sort()).toEqual(['/a', '/b'])
      expect(filesAfter['/a']).toBe(filesBefore['/a'])
      expect(filesAfter['/b']).not.toBe(filesBefore['/b'])
      expect(messagesAfter['1']).toBe(messagesBefore['1'])
      expect(messagesAfter['2']).toBe(messagesBefore['2'])
      expect(Object.keys(messagesAfter).sort()).toEqual(['1', '2', '3'])
      const record = await store.load('s')
      expect(record?.messages).toEqual(['one', 'two', 'three'])
      expect([...(record?.workspace['/b'] ?? [])]).toEqual([9])
    } finally {
      await client.end()
      await store.close()
    }
  })

  it('refuses tables of schema 1 with StateFormatError naming the tables to drop, and changes nothing', async () => {
    const client = new pg.Client({ connectionString: url() })
    await client.connect()
    const store = new PostgresSessionStore({ connectionString: url(), tablePrefix: 'old_' })
    try {
      await client.query('CREATE TABLE old_schema (version integer PRIMARY KEY)')
      await client.query('INSERT INTO old_schema VALUES (1)')
      await client.query('CREATE TABLE old_commits (id text, version integer, body jsonb)')
      await expect(store.load('s')).rejects.toMatchObject({
        code: 'STATE_FORMAT',
        reason: 'version',
        message: expect.stringContaining('Drop the tables old_schema, old_sessions, old_commits, old_leases'),
      })
      await expect(store.acquire('s', { ownerId: 'a', ttlMs: 1000 })).rejects.toMatchObject({
        code: 'STATE_FORMAT',
      })
      const tables = await client.query(
        "SELECT tablename FROM pg_tables WHERE tablename LIKE 'old\\_%' ORDER BY 1",
      )
      expect(tables.rows.map((r) => r.tablename)).toEqual(['old_commits', 'old_schema'])
    } finally {
      await client.end()
      await store.close()
    }
  })
})
