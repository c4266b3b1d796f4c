/** Helpers the fake provider servers of `sandbox-e2b` and `sandbox-vercel` share (tests only). */
export { readBody, sendJson } from './http.js'
export { killGroup } from './processes.js'
