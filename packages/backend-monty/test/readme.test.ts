import { describeReadmeExamples } from '@pyflue/testkit'

describeReadmeExamples(new URL('../README.md', import.meta.url), { minimum: 4 })
