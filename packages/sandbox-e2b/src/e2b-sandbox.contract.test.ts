import { describeSandboxContract } from '@pyflue/testkit'
import { useFakeE2B } from '../test/fake-e2b-context.js'

// The testkit's Sandbox contract suite, run through the real `e2b` SDK against the local E2B
// stand-in (control-plane API + envd over loopback, backed by a temp directory and bash).
const fake = useFakeE2B()

describeSandboxContract('e2b (real SDK, local envd)', () => fake.sandbox(), {
  // Each test gets a new E2B sandbox; close({ kill: true }) releases it at the provider.
  dispose: (sandbox) => sandbox.close?.({ kill: true }),
})
