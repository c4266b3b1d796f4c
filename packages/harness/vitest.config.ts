import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Generous: the machine is shared, and first imports of the native backend are slow under load.
  test: { testTimeout: 60_000 },
  resolve: {
    alias: {
      // README examples import the package by name; point them at the sources.
      '@pyflue/harness/testing': fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)),
      '@pyflue/harness': fileURLToPath(new URL('./src/index.ts', import.meta.url)),
    },
  },
})
