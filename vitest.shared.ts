/**
 * Test settings every package shares. CI runs on a 2-core machine, often with the packages'
 * suites in parallel: timeouts are generous so load cannot fail a test, and no test asserts a
 * wall-clock time (benchmarks live in apps/bench).
 */
export const sharedTestOptions = {
  include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
}
