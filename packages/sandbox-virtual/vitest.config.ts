import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    // The registry imports this package by name; in tests that name means these sources.
    alias: { '@pyflue/sandbox-virtual': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: { testTimeout: 30_000 },
})
