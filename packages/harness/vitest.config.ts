import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { sharedTestOptions } from '../../vitest.shared.js'

export default defineConfig({
  test: sharedTestOptions,
  resolve: {
    alias: {
      // README examples import the package by name; point them at the sources.
      '@pyflue/harness/testing': fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)),
      '@pyflue/harness': fileURLToPath(new URL('./src/index.ts', import.meta.url)),
    },
  },
})
