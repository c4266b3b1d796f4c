import type { ModelSetting } from '@pyflue/harness'
import { scriptedAnalyst } from './scripted-analyst.js'

/** The real OpenAI model when OPENAI_API_KEY is set (PYFLUE_DEMO_MODEL overrides the id); the scripted one otherwise. */
export function analystModelChoice(): { model: ModelSetting; label: string } {
  if (process.env.OPENAI_API_KEY) {
    const model = process.env.PYFLUE_DEMO_MODEL ?? 'openai:gpt-5.5'
    return { model, label: `${model} (real model, OPENAI_API_KEY is set)` }
  }
  return {
    model: scriptedAnalyst(),
    label: 'SCRIPTED (offline and deterministic; set OPENAI_API_KEY to use openai:gpt-5.5)',
  }
}
