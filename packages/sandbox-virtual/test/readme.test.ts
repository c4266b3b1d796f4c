import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'

/**
 * Runs every ```ts block of the README. The blocks check themselves with node:assert, so a
 * block that stops matching the code fails here.
 */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!)
const dir = new URL('./.readme-examples/', import.meta.url)

describe('README examples', () => {
  mkdirSync(dir, { recursive: true })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('has examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3)
  })

  blocks.forEach((code, index) => {
    it(`example ${index + 1} runs and its assertions hold`, async () => {
      const file = new URL(`example-${index + 1}.ts`, dir)
      writeFileSync(file, code)
      await expect(import(file.href)).resolves.toBeDefined()
    })
  })
})
