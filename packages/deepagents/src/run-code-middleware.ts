// The middleware that keeps the `run_code` description about the thread a model call runs in:
// before each model call it lists that thread's Python variables (and the backend's signatures
// of the external functions) and makes the tool's description read so for that call only.
import { createMiddleware } from 'langchain'
import type { RunCode } from './run-code-tool.js'

/** The middleware's name, as LangChain reports it. */
export const RUN_CODE_MIDDLEWARE_NAME = 'PyflueRunCodeMiddleware'

/** A LangChain agent middleware that describes `run_code` per thread (see `RunCode.withThreadDescription`). */
export function runCodeMiddleware(runCode: RunCode) {
  return createMiddleware({
    name: RUN_CODE_MIDDLEWARE_NAME,
    wrapModelCall: async (request, handler) => {
      const threadId = request.runtime?.configurable?.thread_id
      return runCode.withThreadDescription(typeof threadId === 'string' ? threadId : undefined, () =>
        Promise.resolve(handler(request)),
      )
    },
  })
}
