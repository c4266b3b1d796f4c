import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { sharedTestOptions } from '../../vitest.shared.js'

export default defineConfig({
  resolve: {
    // The registry (and the README examples) import this package by name; in tests that name
    // means these sources.
    alias: { '@pyflue/sandbox-virtual': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: sharedTestOptions,
})
