// For lab tests: runs `npm run lab -- <command>` against this test run's lab, on this Node.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { inject } from 'vitest';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));

export async function labCli(args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number; json: any }> {
  const r = await execa(process.execPath, [CLI, ...args, '--state', inject('labStateDir')], { reject: false, timeout: 120_000 });
  let json: unknown;
  try { json = JSON.parse(String(r.stdout)); } catch { json = undefined; }
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1, json };
}
