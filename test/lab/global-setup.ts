// vitest globalSetup for the `lab` project: one lab for the whole run, in a temporary state dir,
// handed to test files through `provide` (and process.env, for child processes).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { up } from './cli/up.ts';
import { down } from './cli/down.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    labStateDir: string;
    labKubeconfig: string;
    labCacheDir: string;
  }
}

let stateDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  stateDir = await mkdtemp(join(tmpdir(), 'lab-state-'));
  const cacheDir = await mkdtemp(join(tmpdir(), 'lab-kubecache-'));
  const kubeconfig = await up({ state: stateDir });
  process.env.KUBECONFIG = kubeconfig;
  process.env.KUBECACHEDIR = cacheDir;
  project.provide('labStateDir', stateDir);
  project.provide('labKubeconfig', kubeconfig);
  project.provide('labCacheDir', cacheDir);
}

export async function teardown(): Promise<void> {
  if (!stateDir) return;
  await down({ state: stateDir });
  await rm(stateDir, { recursive: true, force: true });
}
