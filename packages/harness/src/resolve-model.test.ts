import { InvalidArgumentError, NotConfiguredError, PackageNotInstalledError } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { init } from './init.js'
import { importProviderPackage, resolveModel } from './resolve-model.js'
import { scriptedModel } from './testing/scripted-model.js'

describe('resolveModel', () => {
  it("resolves 'openai:<id>' through the installed @ai-sdk/openai without a network call", async () => {
    const model = await resolveModel('openai:gpt-5.5')
    expect(model.modelId).toBe('gpt-5.5')
    expect(String(model.provider)).toMatch(/^openai/)
  })

  it('names the install command when a provider package is missing', async () => {
    const error = await importProviderPackage('@ai-sdk/no-such-provider', "The model 'nope:x'").catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(PackageNotInstalledError)
    expect((error as PackageNotInstalledError).installCommand).toBe('pnpm add @ai-sdk/no-such-provider')
    expect((error as Error).message).toContain(
      "The model 'nope:x' needs the package @ai-sdk/no-such-provider",
    )
  })

  it("resolves 'anthropic:<id>' through @ai-sdk/anthropic", async () => {
    const model = await resolveModel('anthropic:claude-sonnet-4-5')
    expect(model.modelId).toBe('claude-sonnet-4-5')
  })

  it('refuses unknown providers and malformed strings', async () => {
    await expect(resolveModel('mistral:large')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(resolveModel('gpt-5.5')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(resolveModel('openai:')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(resolveModel({} as never)).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('init() refuses a malformed model setting at once, without importing anything', async () => {
    await expect(init({ model: 'gpt-5.5' })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(init({ model: 'cohere:command' })).rejects.toThrow(/provider among openai, anthropic/)
    await expect(init({ model: 42 as never })).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('passes model objects through and requires a model only to prompt', async () => {
    const model = scriptedModel([{ text: 'ok' }])
    expect(await resolveModel(model)).toBe(model)
    await expect(resolveModel(undefined)).rejects.toBeInstanceOf(NotConfiguredError)
  })

  it('init() and session() never touch the provider: only the first prompt does', async () => {
    const saved = process.env.ANTHROPIC_API_KEY
    delete process.env.ANTHROPIC_API_KEY
    try {
      const agent = await init({ model: 'anthropic:claude-sonnet-4-5' })
      const session = await agent.session('lazy-model')
      await expect(session.prompt('hello')).rejects.toThrow(/API key is missing/)
      expect(session.messages).toEqual([])
    } finally {
      if (saved !== undefined) process.env.ANTHROPIC_API_KEY = saved
    }
  })
})
