import type { DataclassConstructor, DataclassSpec } from '@pyflue/core'
import { InvalidArgumentError } from '@pyflue/core'
import { isUsablePythonName } from './python-names.js'

/** A registered class as the engine uses it. */
export interface RegisteredDataclass {
  readonly cls: DataclassConstructor
  /** The Python class name. */
  readonly name: string
  readonly fields: readonly string[]
  readonly frozen: boolean
  /** Monty's type id: a stable hash of the Python name, so dumps load in any process. */
  readonly typeId: bigint
}

/** The classes registered with `registerDataclass`, found by constructor or by Python name. */
export class DataclassRegistry {
  readonly #byClass = new Map<DataclassConstructor, RegisteredDataclass>()
  readonly #byName = new Map<string, RegisteredDataclass>()

  register(cls: DataclassConstructor, spec: DataclassSpec): void {
    if (typeof cls !== 'function') throw new InvalidArgumentError('cls', 'registerDataclass needs a class.')
    const name = spec?.name ?? cls.name
    if (!isUsablePythonName(name ?? '')) {
      throw new InvalidArgumentError(
        'spec.name',
        `A dataclass needs a Python identifier as its name, got '${name}'.`,
      )
    }
    if (!Array.isArray(spec.fields) || spec.fields.some((f) => !isUsablePythonName(f))) {
      throw new InvalidArgumentError('spec.fields', 'Dataclass fields must be a list of Python identifiers.')
    }
    const previous = this.#byClass.get(cls)
    if (previous) this.#byName.delete(previous.name)
    const registered: RegisteredDataclass = {
      cls,
      name,
      fields: [...spec.fields],
      frozen: spec.frozen ?? false,
      typeId: stableTypeId(name),
    }
    this.#byClass.set(cls, registered)
    this.#byName.set(name, registered)
  }

  /** The registration of `value`'s class (or of its nearest registered ancestor class). */
  forInstance(value: object): RegisteredDataclass | undefined {
    if (this.#byClass.size === 0) return undefined
    for (let proto = Object.getPrototypeOf(value); proto && proto !== Object.prototype; ) {
      const found = this.#byClass.get(proto.constructor)
      if (found) return found
      proto = Object.getPrototypeOf(proto)
    }
    return undefined
  }

  byName(name: string): RegisteredDataclass | undefined {
    return this.#byName.get(name)
  }

  all(): RegisteredDataclass[] {
    return [...this.#byName.values()]
  }
}

/** FNV-1a, 64 bits, of the name: the same in every process. */
function stableTypeId(name: string): bigint {
  let hash = 0xcbf29ce484222325n
  for (const byte of new TextEncoder().encode(name)) {
    hash ^= BigInt(byte)
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return hash & 0x7fffffffffffffffn
}
