import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { checkSuiteOptions } from './check-options.js'

/** Options of `describeReadmeExamples`. */
export interface ReadmeExamplesOptions {
  /** The least number of ```ts blocks the README must hold. Default 1. */
  minimum?: number
  /** Per-test timeout in milliseconds. Default 30 000. */
  timeoutMs?: number
}

/**
 * Registers one vitest test per ```ts block of a README: each block is written beside the
 * README (in `.readme-examples/`, so its imports resolve as the package's own would) and
 * imported. Blocks check themselves with `node:assert`, so a block that stops matching the code
 * fails its test.
 */
export function describeReadmeExamples(readmeUrl: URL, options: ReadmeExamplesOptions = {}): void {
  checkSuiteOptions(options, ['minimum', 'timeoutMs'], 'describeReadmeExamples options')
  const readme = readFileSync(readmeUrl, 'utf8')
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!)
  const dir = new URL('./.readme-examples/', readmeUrl)

  describe(`README examples (${readmeUrl.pathname.split('/').slice(-2).join('/')})`, () => {
    mkdirSync(dir, { recursive: true })
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    it(`has at least ${options.minimum ?? 1} example(s)`, () => {
      expect(blocks.length).toBeGreaterThanOrEqual(options.minimum ?? 1)
    })

    blocks.forEach((code, index) => {
      it(
        `example ${index + 1} runs and its assertions hold`,
        async () => {
          const file = new URL(`example-${index + 1}.ts`, dir)
          writeFileSync(file, code)
          await expect(import(file.href)).resolves.toBeDefined()
        },
        options.timeoutMs,
      )
    })
  })
}
