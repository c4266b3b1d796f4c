/**
 * Starts a throwaway PostgreSQL on 127.0.0.1 from the system's binaries (`pg_config --bindir`):
 * a temporary data directory, a free port, trust auth for the local user. Resolves undefined
 * when no binaries are found (callers skip visibly, or fail with CI=true).
 */
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface PostgresServer {
  connectionString: string
  stop(): void
}

function bindir(): string | undefined {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim()
    return existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')) ? dir : undefined
  } catch {
    return undefined
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

export async function startPostgres(): Promise<PostgresServer | undefined> {
  const bin = bindir()
  if (!bin) return undefined
  const root = mkdtempSync(join(tmpdir(), 'pyflue-pg-'))
  const data = join(root, 'data')
  const port = await freePort()
  // PostgreSQL refuses to run as root; as root, the server runs as the system's `postgres` user.
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : []
  if (asUser.length > 0) {
    const ids = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()
    const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()
    chownSync(root, Number(ids), Number(gid))
  }
  const run = (file: string, args: string[]) =>
    asUser.length > 0
      ? execFileSync(asUser[0] as string, [...asUser.slice(1), file, ...args], { stdio: 'ignore' })
      : execFileSync(file, args, { stdio: 'ignore' })
  run(join(bin, 'initdb'), ['-D', data, '-U', 'pyflue', '--auth=trust', '-E', 'UTF8'])
  run(join(bin, 'pg_ctl'), [
    '-D',
    data,
    '-l',
    join(root, 'log'),
    '-w',
    '-t',
    '120',
    '-o',
    `-k ${root} -h 127.0.0.1 -p ${port}`,
    'start',
  ])
  return {
    connectionString: `postgres://pyflue@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } finally {
        rmSync(root, { recursive: true, force: true })
      }
    },
  }
}
