// Reads what the consumer test needs from a README: the install lines of its ```sh blocks and
// its ```ts blocks, each with how it is run (a plain example, a test file, or imports only).

/**
 * The packages a README's install lines add: every `pnpm add`, `npm install`/`npm i` or
 * `yarn add` line of a ```sh block, flags and trailing `# comments` left out. Lines of other
 * commands (`npx -y pnpm@… install`, `cd … && vitest`) add nothing.
 */
export function installLines(readme) {
  const lines = []
  for (const [, body] of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of body.split('\n')) {
      const line = raw.replace(/\s#.*$/, '').trim()
      const match = /^(?:pnpm add|npm (?:install|i)|yarn add)\s+(.*)$/.exec(line)
      if (!match) continue
      const packages = match[1].split(/\s+/).filter((token) => token !== '' && !token.startsWith('-'))
      if (packages.length > 0) lines.push({ line, packages })
    }
  }
  return lines
}

/**
 * The ```ts blocks of a README, in order, each with its mode:
 * - `test`: the block's first line is a comment naming a `*.test.ts` file; it is written under
 *   that name and run by vitest as a test file (the testkit's suites register tests).
 * - `imports`: a comment line just above the block says `<!-- consumer-test: imports only … -->` (it needs a remote
 *   service's credentials, or it is a fragment); only its imports are checked: each module
 *   resolves and exports each named binding.
 * - `run`: anything else; the block is imported, so its top-level code and assertions run.
 */
export function tsBlocks(readme) {
  const blocks = []
  for (const match of readme.matchAll(/((?:<!--[^\n]*-->\n)*)```ts\n([\s\S]*?)```/g)) {
    const marker = match[1] ?? ''
    const code = match[2]
    const testFile = /^\/\/\s*([\w.-]+\.test\.ts)\b/.exec(code)
    const mode = /consumer-test:\s*imports only/.test(marker) ? 'imports' : testFile ? 'test' : 'run'
    blocks.push({ code, mode, ...(testFile ? { file: testFile[1] } : {}) })
  }
  return blocks
}

/**
 * A module that checks a block's imports only: for every `import { a, b as c } from 'm'` it
 * imports `m` and throws unless `a` and `b` are among its exports (type-only names are skipped).
 */
export function importsOnlyModule(code) {
  const lines = []
  let index = 0
  for (const match of code.matchAll(/^import\s+(type\s+)?([^'"]*?)\s*from\s*['"]([^'"]+)['"]/gm)) {
    if (match[1]) continue
    const specifier = match[3]
    const names = [...(/\{([^}]*)\}/.exec(match[2])?.[1] ?? '').split(',')]
      .map((part) => part.trim())
      .filter((part) => part !== '' && !part.startsWith('type '))
      .map((part) => part.split(/\s+as\s+/)[0].trim())
    const binding = `imported${index++}`
    lines.push(`import * as ${binding} from ${JSON.stringify(specifier)}`)
    for (const name of names) {
      lines.push(
        `if (!(${JSON.stringify(name)} in ${binding})) throw new Error(${JSON.stringify(`${specifier} does not export ${name}`)})`,
      )
    }
  }
  return `${lines.join('\n')}\nexport {}\n`
}
