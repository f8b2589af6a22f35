import { defineConfig } from 'vitest/config';

// node_modules/.bin/vitest starts with `#!/usr/bin/env node`, which is Node 20 on this machine;
// @kubernetes/client-node 2.x crashes there. npm scripts put the pinned Node 24 first on PATH.
const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
if (major < 22 || (major === 22 && minor < 19)) {
  throw new Error(`vitest is running on Node ${process.versions.node}; use \`npm test -- <files>\` or PATH=node_modules/.bin:$PATH vitest ...`);
}

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
