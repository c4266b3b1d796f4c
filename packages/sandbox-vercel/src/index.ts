export { type StagedFile, type StageFileSpec, type StageFilesOptions, stageFiles } from '@pyflue/core'
export { PROVIDER, toProviderError } from './provider-error.js'
export {
  TIMEOUT_EXIT_CODE,
  type VercelSandbox,
  type VercelSandboxFromSdkOptions,
  type VercelSdkSandboxLike,
  vercelSandboxFromSdk,
} from './vercel-driver.js'
export {
  createVercelSandbox,
  type VercelSandboxFactory,
  type VercelSandboxOptions,
  vercelSandbox,
} from './vercel-sandbox.js'
