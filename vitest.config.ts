import { defineConfig } from 'vitest/config';

// Test files start real compilers and qemu: running them one file at a time
// keeps timing-sensitive cases (timeouts, Ctrl-C) honest on a 2-core machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});
