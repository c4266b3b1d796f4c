export { type StagedFile, type StageFileSpec, type StageFilesOptions, stageFiles } from '@pyflue/core'
export { type E2BDriverOptions, e2bDriver, sdkTimeout, TIMEOUT_NOTE } from './e2b-driver.js'
export {
  connectE2BSandbox,
  E2B_DEFAULT_CWD,
  type E2BSandboxOptions,
  e2bSandbox,
  fromE2BSdkSandbox,
} from './e2b-sandbox.js'
export { classifyE2BError, toSandboxProviderError } from './provider-errors.js'
