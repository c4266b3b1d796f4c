import { InvalidArgumentError, importOptionalPackage, NotConfiguredError } from '@pyflue/core'
import type { LanguageModel } from 'ai'

/** What `init({ model })` accepts: `'provider:model-id'` or any AI SDK language model object. */
export type ModelSetting = string | Exclude<LanguageModel, string>

/** The providers a `'provider:model'` string may name, and the package and export that make their models. */
export const MODEL_PROVIDERS: Readonly<Record<string, { packageName: string; exportName: string }>> =
  Object.freeze({
    openai: { packageName: '@ai-sdk/openai', exportName: 'openai' },
    anthropic: { packageName: '@ai-sdk/anthropic', exportName: 'anthropic' },
  })

/**
 * Turns the `model` setting into an AI SDK language model. A string is `'provider:model-id'`;
 * its provider package is imported now, on first use, never by `init()`. A missing package is a
 * `PackageNotInstalledError` whose message names the install command.
 */
export async function resolveModel(model: ModelSetting | undefined): Promise<Exclude<LanguageModel, string>> {
  if (model === undefined) {
    throw new NotConfiguredError(
      'model',
      "Prompting needs a model: pass model: 'openai:<model-id>', 'anthropic:<model-id>' or an AI SDK language model object to init().",
    )
  }
  const parsed = checkModelSetting(model)
  if (parsed === undefined) return model as Exclude<LanguageModel, string>
  const { entry, modelId } = parsed
  const module = await importProviderPackage(entry.packageName, `The model '${model}'`)
  const makeModel = module[entry.exportName]
  if (typeof makeModel !== 'function') {
    throw new InvalidArgumentError(
      'model',
      `${entry.packageName} does not export ${entry.exportName}(); install a version compatible with ai@6 (${entry.packageName}@3).`,
    )
  }
  return (makeModel as (id: string) => Exclude<LanguageModel, string>)(modelId)
}

/**
 * Checks a `model` setting without importing anything: a model object must have `doGenerate`,
 * a string must be `'provider:model-id'` with a known provider. Returns the provider entry and
 * model id for a string, `undefined` for an object; throws `InvalidArgumentError` otherwise.
 */
export function checkModelSetting(
  model: ModelSetting,
): { entry: { packageName: string; exportName: string }; modelId: string } | undefined {
  if (typeof model !== 'string') {
    if (
      typeof model !== 'object' ||
      model === null ||
      typeof (model as { doGenerate?: unknown }).doGenerate !== 'function'
    ) {
      throw new InvalidArgumentError(
        'model',
        'model must be a "provider:model-id" string or an AI SDK language model object.',
      )
    }
    return undefined
  }
  const colon = model.indexOf(':')
  const provider = colon > 0 ? model.slice(0, colon) : ''
  const modelId = colon > 0 ? model.slice(colon + 1) : ''
  const entry = Object.hasOwn(MODEL_PROVIDERS, provider) ? MODEL_PROVIDERS[provider] : undefined
  if (!entry || modelId === '') {
    throw new InvalidArgumentError(
      'model',
      `model '${model}' is not understood: write 'provider:model-id' with a provider among ${Object.keys(MODEL_PROVIDERS).join(', ')} (e.g. 'openai:gpt-5.5'), or pass an AI SDK language model object.`,
    )
  }
  return { entry, modelId }
}

/**
 * Imports a provider package (exported for tests) from the harness's own location first (where
 * its optional peer dependency resolves), then from the application's directory; otherwise the
 * install-command error (see core's `importOptionalPackage`).
 */
export function importProviderPackage(packageName: string, what: string): Promise<Record<string, unknown>> {
  return importOptionalPackage(packageName, what, {
    importer: (specifier) => import(/* @vite-ignore */ specifier),
  })
}
