import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, no processes) and `lab` (the real kubectl and the plugin against a
// lab started once by test/lab/global-setup.ts). Lab test files end in `.lab.test.ts`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{plugin,shared,test,scripts}/**/*.test.ts'],
          exclude: ['**/*.lab.test.ts', 'node_modules/**'],
        },
      },
      {
        test: {
          name: 'lab',
          include: ['{plugin,shared,test,scripts}/**/*.lab.test.ts'],
          globalSetup: ['test/lab/global-setup.ts'],
          // One lab per run; files share it, so they run one at a time on this 2-core machine.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
