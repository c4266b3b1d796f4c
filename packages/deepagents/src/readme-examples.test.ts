// Every ```ts block of the README runs as written (imports resolve as a user's would) and its
// assertions hold.
import { describeReadmeExamples } from '@pyflue/testkit'

describeReadmeExamples(new URL('../README.md', import.meta.url), { minimum: 5, timeoutMs: 120_000 })
