// `npm run lab -- up|status|down` on a second lab in its own state dir: up twice is harmless,
// down leaves no process behind.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { KUBECTL } from './testkit.ts';
import { processAlive } from './cli/state.ts';
import { mountsUnder, processesNaming, runcContainersUnder } from '../e2e/own-lab.ts';
import { until } from './until.ts';

const lab = (args: string[]) => execa(process.execPath, ['test/lab/cli.ts', ...args], { reject: false });
let state: string | undefined;

afterAll(async () => {
  if (!state) return;
  await lab(['down', '--state', state]);
  await rm(state, { recursive: true, force: true });
});

describe('lab CLI', () => {
  it('starts, reuses a running lab, reports status and stops without leaving a process', async () => {
    state = await mkdtemp(join(tmpdir(), 'lab-cli-'));
    const first = await lab(['up', '--state', state]);
    expect(first.exitCode).toBe(0);
    expect(first.stdout.trim()).toBe(`export KUBECONFIG=${join(state, 'kubeconfig')}`);
    const pid = Number((await readFile(join(state, 'pid'), 'utf8')).trim());
    expect(processAlive(pid)).toBe(true);

    const ns = await execa(KUBECTL, ['get', 'ns', 'kserve', '-o', 'name'], { env: { KUBECONFIG: join(state, 'kubeconfig'), KUBECACHEDIR: join(state, 'kubecache') }, reject: false });
    expect(ns.stdout.trim()).toBe('namespace/kserve');

    const second = await lab(['up', '--state', state]);
    expect(second.stdout.trim()).toBe(first.stdout.trim());
    expect(Number((await readFile(join(state, 'pid'), 'utf8')).trim())).toBe(pid);

    const status = await lab(['status', '--state', state]);
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain('lab: running');

    expect((await lab(['down', '--state', state])).stdout.trim()).toBe('lab stopped');
    expect(processAlive(pid)).toBe(false);
    const after = await lab(['status', '--state', state]);
    expect(after.exitCode).toBe(1);
    expect(after.stdout).toContain('lab: stopped');
  });

  it('after the server crashed (SIGKILL, no shutdown hooks), down removes the registries and containers it left', async () => {
    const crashed = await mkdtemp(join(tmpdir(), 'lab-cli-crash-'));
    try {
      expect((await lab(['up', '--state', crashed])).exitCode).toBe(0);
      const pid = Number((await readFile(join(crashed, 'pid'), 'utf8')).trim());
      process.kill(pid, 'SIGKILL');
      await until('the server gone', () => (processAlive(pid) ? undefined : true));
      // What a crash leaves: the registries (children in the server's process group) at least.
      expect((await processesNaming(crashed)).join('\n')).toMatch(/docker-registry/);
      expect((await lab(['down', '--state', crashed])).exitCode).toBe(0);
      await until('nothing left', async () => ((await processesNaming(crashed)).length === 0 ? true : undefined), 10_000);
      expect(await runcContainersUnder(crashed)).toEqual([]);
      expect(await mountsUnder(crashed)).toEqual([]);
    } finally {
      await lab(['down', '--state', crashed]);
      await rm(crashed, { recursive: true, force: true });
    }
  });
});
