import { NotRegisteredError } from './errors/configuration-errors.js'
import { InvalidArgumentError } from './errors/pyflue-error.js'
import type { Harness } from './harness.js'
import { importOptionalPackage } from './import-package.js'
import type { PythonBackendFactory } from './python-backend.js'
import type { SandboxFactory } from './sandbox.js'

/** A factory, or a function that produces one (possibly by importing a package). */
export type FactoryLoader<F> = F | (() => F | Promise<F>)

/** Where a built-in name lives: the package and the function it exports that makes a factory. */
export interface BuiltinPackage {
  readonly packageName: string
  readonly exportName: string
}

/** Built-in Python backends: names that resolve lazily to their packages. */
export const BUILTIN_PYTHON_BACKENDS: Readonly<Record<string, BuiltinPackage>> = Object.freeze({
  monty: { packageName: '@pyflue/backend-monty', exportName: 'montyBackend' },
})

/** Built-in sandboxes: names that resolve lazily to their packages. */
export const BUILTIN_SANDBOXES: Readonly<Record<string, BuiltinPackage>> = Object.freeze({
  virtual: { packageName: '@pyflue/sandbox-virtual', exportName: 'virtualSandbox' },
  e2b: { packageName: '@pyflue/sandbox-e2b', exportName: 'e2bSandbox' },
  vercel: { packageName: '@pyflue/sandbox-vercel', exportName: 'vercelSandbox' },
})

/** Built-in harnesses: names that resolve lazily to their packages (`'ai-sdk'` is `@pyflue/harness`'s own loop). */
export const BUILTIN_HARNESSES: Readonly<Record<string, BuiltinPackage>> = Object.freeze({
  deepagents: { packageName: '@pyflue/deepagents', exportName: 'deepagentsHarness' },
})

type Kind = 'pythonBackend' | 'sandbox' | 'harness'

const KIND_TEXT: Readonly<Record<Kind, string>> = {
  pythonBackend: 'Python backend',
  sandbox: 'sandbox',
  harness: 'harness',
}

/**
 * Names → factories. Built-in names resolve by importing their package on first use (a missing
 * package is `PackageNotInstalledError` with the install command); third parties register
 * their own names, which may also replace a built-in. Resolution is lazy: registering costs
 * nothing, and a loader runs once, on the first `resolve…` of its name.
 */
export class PyFlueRegistry {
  readonly #backends = new Map<string, FactoryLoader<PythonBackendFactory>>()
  readonly #sandboxes = new Map<string, FactoryLoader<SandboxFactory>>()
  readonly #harnesses = new Map<string, FactoryLoader<Harness>>()

  /** Registers a Python backend under `name` (a factory, or a loader returning one). */
  registerPythonBackend(name: string, factory: FactoryLoader<PythonBackendFactory>): void {
    this.#backends.set(checkName(name), factory)
  }

  /** Registers a sandbox under `name` (a factory, or a loader returning one). */
  registerSandbox(name: string, factory: FactoryLoader<SandboxFactory>): void {
    this.#sandboxes.set(checkName(name), factory)
  }

  /** Registers a harness under `name` (a `Harness`, or a loader returning one). */
  registerHarness(name: string, harness: FactoryLoader<Harness>): void {
    this.#harnesses.set(checkName(name), harness)
  }

  /** Every name that resolves to a Python backend: registered and built-in. */
  pythonBackendNames(): string[] {
    return [...new Set([...this.#backends.keys(), ...Object.keys(BUILTIN_PYTHON_BACKENDS)])].sort()
  }

  /** Every name that resolves to a sandbox: registered and built-in. */
  sandboxNames(): string[] {
    return [...new Set([...this.#sandboxes.keys(), ...Object.keys(BUILTIN_SANDBOXES)])].sort()
  }

  /** Every name that resolves to a harness: registered and built-in. */
  harnessNames(): string[] {
    return [...new Set([...this.#harnesses.keys(), ...Object.keys(BUILTIN_HARNESSES)])].sort()
  }

  /** Resolves a name (or passes a factory object through) to a `PythonBackendFactory`. */
  async resolvePythonBackend(nameOrFactory: string | PythonBackendFactory): Promise<PythonBackendFactory> {
    if (typeof nameOrFactory !== 'string')
      return checkFactory(nameOrFactory, 'createBackend', 'pythonBackend')
    const factory = await this.#resolve(
      'pythonBackend',
      nameOrFactory,
      this.#backends,
      BUILTIN_PYTHON_BACKENDS,
    )
    return checkFactory(factory as PythonBackendFactory, 'createBackend', 'pythonBackend')
  }

  /** Resolves a name (or passes a factory object through) to a `SandboxFactory`. */
  async resolveSandbox(nameOrFactory: string | SandboxFactory): Promise<SandboxFactory> {
    if (typeof nameOrFactory !== 'string') return checkFactory(nameOrFactory, 'createSandbox', 'sandbox')
    const factory = await this.#resolve('sandbox', nameOrFactory, this.#sandboxes, BUILTIN_SANDBOXES)
    return checkFactory(factory as SandboxFactory, 'createSandbox', 'sandbox')
  }

  /** Resolves a name (or passes a `Harness` object through) to a `Harness`. */
  async resolveHarness(nameOrHarness: string | Harness): Promise<Harness> {
    if (typeof nameOrHarness !== 'string') return checkFactory(nameOrHarness, 'prompt', 'harness')
    const harness = await this.#resolve('harness', nameOrHarness, this.#harnesses, BUILTIN_HARNESSES)
    return checkFactory(harness as Harness, 'prompt', 'harness')
  }

  #names(kind: Kind): string[] {
    if (kind === 'pythonBackend') return this.pythonBackendNames()
    return kind === 'sandbox' ? this.sandboxNames() : this.harnessNames()
  }

  async #resolve<F>(
    kind: Kind,
    name: string,
    registered: Map<string, FactoryLoader<F>>,
    builtins: Readonly<Record<string, BuiltinPackage>>,
  ): Promise<F> {
    const entry = registered.get(name)
    if (entry !== undefined) {
      const factory = typeof entry === 'function' ? await (entry as () => F | Promise<F>)() : entry
      registered.set(name, factory)
      return factory
    }
    const builtin = Object.hasOwn(builtins, name) ? builtins[name] : undefined
    if (!builtin) {
      throw new NotRegisteredError({
        kind,
        name,
        known: this.#names(kind),
      })
    }
    const what = `The ${KIND_TEXT[kind]} '${name}'`
    const module = await importOptionalPackage(builtin.packageName, what)
    const make = module[builtin.exportName]
    if (typeof make !== 'function') {
      throw new InvalidArgumentError(
        kind,
        `${builtin.packageName} does not export a function named ${builtin.exportName}; is its version compatible with @pyflue/core?`,
      )
    }
    return (await make()) as F
  }
}

function checkName(name: string): string {
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(name)) {
    throw new InvalidArgumentError(
      'name',
      `A registry name must be letters, digits, '.', '_' or '-': got ${String(name)}`,
    )
  }
  return name
}

function checkFactory<F>(factory: F, method: string, kind: Kind): F {
  if (
    typeof factory !== 'object' ||
    factory === null ||
    typeof (factory as Record<string, unknown>)[method] !== 'function'
  ) {
    throw new InvalidArgumentError(
      kind,
      kind === 'harness'
        ? `A harness must be an object with a ${method}() method (see Harness).`
        : `A ${KIND_TEXT[kind]} factory must be an object with a ${method}() method.`,
    )
  }
  return factory
}

/** The process-wide registry that `@pyflue/harness` uses unless given another. */
export const defaultRegistry: PyFlueRegistry = new PyFlueRegistry()

/** Registers a Python backend name in the default registry. */
export function registerPythonBackend(name: string, factory: FactoryLoader<PythonBackendFactory>): void {
  defaultRegistry.registerPythonBackend(name, factory)
}

/** Registers a sandbox name in the default registry. */
export function registerSandbox(name: string, factory: FactoryLoader<SandboxFactory>): void {
  defaultRegistry.registerSandbox(name, factory)
}

/** Registers a harness name in the default registry. */
export function registerHarness(name: string, harness: FactoryLoader<Harness>): void {
  defaultRegistry.registerHarness(name, harness)
}

/** Resolves a harness name or object through the default registry. */
export function resolveHarness(nameOrHarness: string | Harness): Promise<Harness> {
  return defaultRegistry.resolveHarness(nameOrHarness)
}

/** Resolves a Python backend name or factory through the default registry. */
export function resolvePythonBackend(
  nameOrFactory: string | PythonBackendFactory,
): Promise<PythonBackendFactory> {
  return defaultRegistry.resolvePythonBackend(nameOrFactory)
}

/** Resolves a sandbox name or factory through the default registry. */
export function resolveSandbox(nameOrFactory: string | SandboxFactory): Promise<SandboxFactory> {
  return defaultRegistry.resolveSandbox(nameOrFactory)
}
