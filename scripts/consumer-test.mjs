// The consumer test: what a stranger gets from the registry. Packs every publishable package
// (packages/*/package.json without "private"), checks each tarball (LICENSE, manifest links,
// ranges, source maps that resolve), then for every README with ```ts blocks (the root's and each
// package's) makes a fresh empty project per package manager (npm, and pnpm with its strict
// layout), runs only the install lines that README prints, and runs every block there with vitest.
// Finally checks that each project holds one copy of @pyflue/core, ai and zod.
// Needs the packages built (`pnpm build`). Writes its summary to .turbo/consumer-test.log.
// `--keep` keeps the temporary directory; `--only=<readme dir>` limits it to one README (e.g. harness).
import { spawn } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { importsOnlyModule, installLines, tsBlocks } from './consumer/readme-blocks.mjs'

const repo = fileURLToPath(new URL('..', import.meta.url))
const keep = process.argv.includes('--keep')
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length)
const tmp = mkdtempSync(join(tmpdir(), 'pyflue-consumer-'))
const tarballs = join(tmp, 'tarballs')
const SHARED = ['@pyflue/core', 'ai', 'zod']
const results = [] // { name, ok, detail }
const record = (name, ok, detail = '', quiet = false) => {
  results.push({ name, ok, detail })
  if (!ok || !quiet)
    console.log(`${ok ? '✓' : '×'} ${name}${detail ? `\n    ${detail.replaceAll('\n', '\n    ')}` : ''}`)
}

/** Runs a command; resolves with its exit code and output (never rejects). */
function exec(command, args, cwd) {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, CI: 'true', FORCE_COLOR: '0' } })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', (error) => done({ code: 1, output: `${output}${error.message}` }))
    child.on('close', (code) => done({ code: code ?? 1, output }))
  })
}

/** pnpm as the test command was started with (`npx -y pnpm@… test`), or the pinned one. */
const { npm_execpath: pnpmPath, npm_config_user_agent: agent = '' } = process.env
const pnpm = (args, cwd) =>
  pnpmPath && agent.startsWith('pnpm/')
    ? exec(process.execPath, [pnpmPath, ...args], cwd)
    : exec('npx', ['-y', 'pnpm@10.34.8', ...args], cwd)
const npm = (args, cwd) => exec('npm', args, cwd)

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'))
const packages = readdirSync(join(repo, 'packages'))
  .map((name) => join(repo, 'packages', name))
  .filter((dir) => existsSync(join(dir, 'package.json')) && !readJson(join(dir, 'package.json')).private)
  .map((dir) => ({ dir, manifest: readJson(join(dir, 'package.json')) }))

// The versions our own tests run against, for the registry packages the install lines name.
const pinned = new Map()
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(repo, group))) {
    const file = join(repo, group, name, 'package.json')
    if (!existsSync(file)) continue
    const manifest = readJson(file)
    for (const deps of [manifest.dependencies, manifest.devDependencies]) {
      for (const [dep, range] of Object.entries(deps ?? {}))
        if (/^\d+\.\d+\.\d+$/.test(range)) pinned.set(dep, range)
    }
  }
}
for (const [dep, range] of Object.entries(readJson(join(repo, 'package.json')).devDependencies)) {
  if (/^\d+\.\d+\.\d+$/.test(range)) pinned.set(dep, range)
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* walk(path)
    else yield path
  }
}

/** Packs one package and checks what its tarball holds. Returns the tarball's path. */
async function packAndCheck({ dir, manifest }) {
  const packed = await pnpm(['pack', '--pack-destination', tarballs], dir)
  const file = join(tarballs, `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`)
  if (packed.code !== 0 || !existsSync(file)) {
    record(`pack ${manifest.name}`, false, packed.output.trim())
    return undefined
  }
  const unpacked = join(tmp, 'unpacked', manifest.name)
  mkdirSync(unpacked, { recursive: true })
  await exec('tar', ['xzf', file, '-C', unpacked])
  const root = join(unpacked, 'package')
  const problems = []
  if (!existsSync(join(root, 'LICENSE'))) problems.push('no LICENSE')
  else if (!/MIT License/.test(readFileSync(join(root, 'LICENSE'), 'utf8')))
    problems.push('LICENSE is not MIT')
  const shipped = readJson(join(root, 'package.json'))
  if (!shipped.repository?.url || !shipped.repository?.directory)
    problems.push('no repository with directory')
  if (!shipped.homepage) problems.push('no homepage')
  if (!shipped.bugs) problems.push('no bugs')
  for (const section of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(shipped[section] ?? {})) {
      if (range.startsWith('workspace:')) problems.push(`${section}.${dep} is ${range}`)
      if (dep.startsWith('@pyflue/') && !/^\^\d/.test(range))
        problems.push(`${section}.${dep} is ${range}, not ^x.y.z`)
    }
  }
  for (const path of walk(root)) {
    if (path.endsWith('.map')) {
      const map = readJson(path)
      for (const source of map.sources ?? []) {
        const target = resolve(dirname(path), map.sourceRoot ?? '', source)
        if (!existsSync(target))
          problems.push(`${relative(root, path)} points at ${source}, which is not shipped`)
      }
    } else if (/\.(js|d\.ts)$/.test(path)) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(path, 'utf8'))?.[1]
      if (url && !url.startsWith('data:') && !existsSync(resolve(dirname(path), url))) {
        problems.push(`${relative(root, path)} names the map ${url}, which is not shipped`)
      }
    }
  }
  record(`tarball ${manifest.name}`, problems.length === 0, problems.slice(0, 10).join('\n'))
  return file
}

/** Every copy of `name` installed under `dir`: real directories `…/node_modules/<name>` (symlinks to one count once). */
function copiesOf(dir, name) {
  const found = new Set()
  const suffix = `/node_modules/${name}`
  const visit = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name)
      if (child.endsWith(suffix) && existsSync(join(child, 'package.json'))) found.add(realpathSync(child))
      if (entry.isDirectory() && !entry.isSymbolicLink()) visit(child)
    }
  }
  if (existsSync(join(dir, 'node_modules'))) visit(join(dir, 'node_modules'))
  return found
}

/** One README in a fresh project of one package manager: install lines, blocks, copies. */
async function consumer(readme, pm, files) {
  const label = `${pm} ${readme.label}`
  const dir = join(tmp, pm, readme.label.replaceAll('/', '_'))
  mkdirSync(dir, { recursive: true })
  const fromDir = (file) => relative(dir, file)
  const overrides = Object.fromEntries([...files].map(([name, file]) => [name, `file:${fromDir(file)}`]))
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'consumer', private: true, type: 'module', overrides, pnpm: { overrides } }, null, 2)}\n`,
  )
  // pnpm's strict layout: only what a project's own manifest names is importable from it.
  if (pm === 'pnpm') writeFileSync(join(dir, '.npmrc'), 'hoist=false\nauto-install-peers=true\n')
  for (const { line, packages } of readme.installs) {
    const specs = packages.map((spec) => {
      if (files.has(spec)) return fromDir(files.get(spec))
      return pinned.has(spec) ? `${spec}@${pinned.get(spec)}` : spec
    })
    const installed =
      pm === 'npm'
        ? await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], dir)
        : await pnpm(['add', '--prefer-offline', ...specs], dir)
    if (installed.code !== 0) {
      record(`${label}: ${line}`, false, installed.output.trim().split('\n').slice(-15).join('\n'))
      return
    }
  }
  record(`${label}: install (${readme.installs.map((i) => i.line).join(' && ') || 'no install line'})`, true)
  // `@opentelemetry/api` is no PyFlue package's dependency: a README that does not install it runs
  // its examples in a project without it (unless the AI SDK, which depends on it, brought it).
  const bringsOtel = copiesOf(dir, 'ai').size > 0
  if (!bringsOtel && !readme.installs.some((i) => i.packages.includes('@opentelemetry/api'))) {
    const otel = copiesOf(dir, '@opentelemetry/api').size
    record(`${label}: no @opentelemetry/api installed (found ${otel})`, otel === 0)
  }

  const tests = []
  readme.blocks.forEach((block, index) => {
    const name = `example-${index + 1}`
    if (block.mode === 'test') writeFileSync(join(dir, block.file), block.code)
    else {
      writeFileSync(
        join(dir, `${name}.ts`),
        block.mode === 'imports' ? importsOnlyModule(block.code) : block.code,
      )
      tests.push(`it(${JSON.stringify(`${readme.label} ${name}${block.mode === 'imports' ? ' (imports only)' : ''}`)}, async () => {
  await import('./${name}.ts')
}, 300_000)`)
    }
  })
  if (tests.length > 0) {
    writeFileSync(
      join(dir, 'readme.test.ts'),
      `// Generated by scripts/consumer-test.mjs.\n${tests.join('\n')}\n`,
    )
  }
  writeFileSync(
    join(dir, 'vitest.config.mjs'),
    'export default { test: { globals: true, include: ["*.test.ts"], testTimeout: 300000, hookTimeout: 300000 } }\n',
  )
  // The project's own vitest when its install lines added one (the testkit's suites register
  // with it), else ours.
  const ownVitest = join(dir, 'node_modules', 'vitest', 'vitest.mjs')
  const vitest = existsSync(ownVitest) ? ownVitest : join(repo, 'node_modules', 'vitest', 'vitest.mjs')
  const ran = await exec(
    process.execPath,
    [vitest, 'run', '--config', 'vitest.config.mjs', '--reporter=json', '--outputFile=results.json'],
    dir,
  )
  const report = existsSync(join(dir, 'results.json')) ? readJson(join(dir, 'results.json')) : undefined
  if (!report) record(`${label}: README examples`, false, ran.output.trim().split('\n').slice(-20).join('\n'))
  let passed = 0
  for (const file of report?.testResults ?? []) {
    for (const test of file.assertionResults) {
      const failure = (test.failureMessages ?? []).join('\n').split('\n').slice(0, 8).join('\n')
      const title = [...(test.ancestorTitles ?? []), test.title].join(' › ')
      record(`${label}: ${relative(dir, file.name)} › ${title}`, test.status === 'passed', failure, true)
      if (test.status === 'passed') passed += 1
    }
    if (file.assertionResults.length === 0 && file.status !== 'passed') {
      record(
        `${label}: ${relative(dir, file.name)}`,
        false,
        (file.message ?? '').split('\n').slice(0, 8).join('\n'),
      )
    }
  }

  if (report) console.log(`  ${label}: ${passed} of ${report.numTotalTests} README example tests passed`)
  const counts = SHARED.map((name) => [name, copiesOf(dir, name).size])
  const duplicated = counts.filter(([, n]) => n > 1)
  let listing = ''
  if (pm === 'npm') listing = (await npm(['ls', ...SHARED, '--all'], dir)).output.trim()
  record(
    `${label}: one copy each of ${SHARED.join(', ')} (${counts.map(([n, c]) => `${n}: ${c}`).join(', ')})`,
    duplicated.length === 0,
    duplicated.length ? listing : '',
  )
  if (pm === 'npm' && listing)
    console.log(`    npm ls: ${listing.split('\n').slice(1).join('\n            ')}`)
}

/**
 * Packages installed alone (npm, from the tarballs, into an empty project): what each must bring
 * and what it must not. npm installs the peers it needs; a package's install is only what it says.
 */
const ALONE = [
  { name: '@pyflue/core', brings: [], absent: ['ai', 'zod', '@opentelemetry/api'], only: 'core' },
  {
    name: '@pyflue/deepagents',
    brings: ['@pyflue/core', 'deepagents', 'langchain', '@langchain/core', '@langchain/langgraph'],
    absent: [
      'ai',
      'e2b',
      '@vercel/sandbox',
      '@pyflue/harness',
      '@pyflue/backend-monty',
      '@pyflue/sandbox-virtual',
    ],
    only: 'deepagents',
  },
]

/** One package installed alone: the packages it brings are there, the others are not. */
async function alone({ name, brings, absent }, files) {
  const dir = join(tmp, 'alone', name.replaceAll('/', '_'))
  mkdirSync(dir, { recursive: true })
  const overrides = Object.fromEntries([...files].map(([n, file]) => [n, `file:${relative(dir, file)}`]))
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'alone', private: true, overrides }, null, 2)}\n`,
  )
  const installed = await npm(
    ['install', '--prefer-offline', '--no-audit', '--no-fund', relative(dir, files.get(name))],
    dir,
  )
  if (installed.code !== 0) {
    record(`${name} alone: npm install`, false, installed.output.trim().split('\n').slice(-15).join('\n'))
    return
  }
  const missing = brings.filter((dep) => copiesOf(dir, dep).size === 0)
  const extra = absent.filter((dep) => copiesOf(dir, dep).size > 0)
  const installedCount = readdirSync(join(dir, 'node_modules')).filter(
    (entry) => !entry.startsWith('.'),
  ).length
  record(
    `${name} alone brings ${brings.join(', ') || 'nothing else'} and not ${absent.join(', ')}`,
    missing.length === 0 && extra.length === 0 && (brings.length > 0 || installedCount === 1),
    [
      missing.length ? `missing: ${missing.join(', ')}` : '',
      extra.length ? `should not be installed: ${extra.join(', ')}` : '',
      brings.length === 0 && installedCount !== 1 ? `node_modules holds ${installedCount} entries` : '',
    ]
      .filter(Boolean)
      .join('\n'),
  )
}

async function main() {
  mkdirSync(tarballs, { recursive: true })
  const files = new Map()
  for (const pkg of packages) {
    const file = await packAndCheck(pkg)
    if (file) files.set(pkg.manifest.name, file)
  }
  const readmes = [{ label: 'README.md', path: join(repo, 'README.md') }]
  for (const { dir } of packages)
    readmes.push({ label: `${relative(join(repo, 'packages'), dir)}`, path: join(dir, 'README.md') })
  const work = readmes
    .filter((r) => existsSync(r.path) && (!only || r.label === only))
    .map((r) => {
      const text = readFileSync(r.path, 'utf8')
      return { ...r, installs: installLines(text), blocks: tsBlocks(text) }
    })
    .filter((r) => r.blocks.length > 0)
  const jobs = work.flatMap((readme) => ['npm', 'pnpm'].map((pm) => () => consumer(readme, pm, files)))
  for (const check of ALONE) if (!only || only === check.only) jobs.push(() => alone(check, files))
  // Two at a time: the machine is shared.
  const running = new Set()
  for (const job of jobs) {
    const promise = job().finally(() => running.delete(promise))
    running.add(promise)
    if (running.size >= 2) await Promise.race(running)
  }
  await Promise.all(running)
}

try {
  await main()
} catch (error) {
  record('consumer test', false, String(error?.stack ?? error))
} finally {
  if (!keep) rmSync(tmp, { recursive: true, force: true })
  else console.log(`kept ${tmp}`)
}
const failed = results.filter((r) => !r.ok)
const summary = `Tests  ${results.length - failed.length} passed | ${failed.length} failed`
mkdirSync(join(repo, '.turbo'), { recursive: true })
writeFileSync(
  join(repo, '.turbo', 'consumer-test.log'),
  `${results.map((r) => `${r.ok ? '✓' : '×'} ${r.name}${r.detail ? `\n    ${r.detail}` : ''}`).join('\n')}\n${summary}\n`,
)
console.log(`consumer test: ${summary}`)
process.exit(failed.length === 0 ? 0 : 1)
