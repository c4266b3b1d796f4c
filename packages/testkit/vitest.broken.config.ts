import { defineConfig } from 'vitest/config'

/** Runs only the deliberately broken implementations (see test/broken/). */
export default defineConfig({
  test: { include: ['test/broken/*.contract.ts'], testTimeout: 30_000 },
})
