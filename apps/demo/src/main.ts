import { runAnalyst } from './analyst.js'
import { analystModelChoice } from './model-choice.js'
import { runRefundApprovals } from './refund-approvals.js'
import { runScenarios } from './scenarios.js'

/**
 * `pnpm demo`: the seed scenarios (no model needed), then an agent at work. Offline by default
 * with a scripted model; with OPENAI_API_KEY set, the real OpenAI model.
 */
const started = performance.now()
console.log('PyFlue demo — Python for TypeScript agents (backend: monty, sandbox: virtual)')
await runScenarios()
await runRefundApprovals()
const choice = analystModelChoice()
try {
  await runAnalyst(choice.model, choice.label)
} catch (error) {
  console.error(
    `\nThe agent failed with ${choice.label}: ${error instanceof Error ? error.message : String(error)}`,
  )
  console.error('Unset OPENAI_API_KEY to run the offline scripted demo.')
  process.exit(1)
}
console.log(`\nDone in ${((performance.now() - started) / 1000).toFixed(1)} s.`)
