/**
 * `runInputsOf`: a run's `inputs` in Monty form. `inputs` must be an object; each key must be a
 * usable Python name (`InvalidArgumentError` otherwise), and all values together stay within the
 * value budget (`ValueConversionError` naming `inputs.<name>`).
 */
import { InvalidArgumentError } from '@pyflue/core'
import type { DataclassRegistry } from './dataclass-registry.js'
import { isUsablePythonName } from './python-names.js'
import { ValueBudget, type ValueBudgetLimits } from './value-budget.js'
import { toMonty } from './value-conversion.js'

export function runInputsOf(
  inputs: unknown,
  dataclasses: DataclassRegistry,
  valueLimits: ValueBudgetLimits,
): Map<string, unknown> {
  const runInputs = new Map<string, unknown>()
  const inputBudget = new ValueBudget(valueLimits)
  if (inputs !== undefined) {
    if (typeof inputs !== 'object' || inputs === null) {
      throw new InvalidArgumentError('inputs', 'inputs must be an object of named values.')
    }
    for (const [name, value] of Object.entries(inputs)) {
      if (!isUsablePythonName(name)) {
        throw new InvalidArgumentError('inputs', `'${name}' is not a usable Python variable name.`)
      }
      runInputs.set(name, toMonty(value, `inputs.${name}`, dataclasses, inputBudget))
    }
  }
  return runInputs
}
