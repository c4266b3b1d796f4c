// @pyflue/deepagents: PyFlue for LangChain Deep Agents: a `run_code` tool (LangChain tools
// callable from Python, one Python namespace per thread) and PyFlue sandboxes as Deep Agents
// backends.

export { type JsonSchema, parameterOrder, pythonSignature, pythonType } from '@pyflue/core'
export {
  type CreatePyflueDeepAgentOptions,
  createPyflueDeepAgent,
  type PyflueDeepAgent,
  type PyflueDeepAgentOptions,
} from './create-pyflue-deep-agent.js'
export { DEEPAGENTS_HARNESS_NAME, deepagentsHarness, RESULT_TOOL_NAME } from './deepagents-harness.js'
export {
  type LangChainToolsAsPython,
  langchainToolsAsPython,
  RESERVED_TOOL_NAMES,
} from './langchain-tools-python.js'
export {
  DEFAULT_THREAD_ID,
  type PythonThreads,
  type PythonThreadsOptions,
  pythonThreads,
} from './python-threads.js'
export { RUN_CODE_MIDDLEWARE_NAME, runCodeMiddleware } from './run-code-middleware.js'
export {
  createRunCode,
  describeRunCode,
  isRunCodeStdoutChunk,
  RUN_CODE_STDOUT_CHUNK,
  RUN_CODE_TOOL_NAME,
  type RunCode,
  type RunCodeDescription,
  type RunCodeEvent,
  type RunCodeStdoutChunk,
  type RunCodeToolOptions,
  runCodeTool,
  threadIdOf,
} from './run-code-tool.js'
export {
  type PyflueSandboxBackend,
  REFUSED_EXIT_CODE,
  type SandboxBackendOptions,
  sandboxBackend,
} from './sandbox-backend.js'
