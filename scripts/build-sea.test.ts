import { describe, it, expect } from 'vitest';
import { parse } from 'yaml';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { krewManifest } from './build-sea.ts';

describe('krewManifest', () => {
  it('is a krew v1alpha2 Plugin with one platform per arch, a leading-v version and the sha256 of each archive', () => {
    const m = parse(krewManifest('1.2.3', [
      { arch: 'amd64', file: '/x/kubectl-modelcar_v1.2.3_linux_amd64.tar.gz', sha256: 'a'.repeat(64) },
      { arch: 'arm64', file: '/x/kubectl-modelcar_v1.2.3_linux_arm64.tar.gz', sha256: 'b'.repeat(64) },
    ]));
    expect(m.apiVersion).toBe('krew.googlecontainertools.github.com/v1alpha2');
    expect(m.kind).toBe('Plugin');
    expect(m.metadata.name).toBe('modelcar');
    expect(m.spec.version).toBe('v1.2.3');
    expect(m.spec.platforms.map((p: { selector: { matchLabels: { arch: string } } }) => p.selector.matchLabels.arch)).toEqual(['amd64', 'arm64']);
    expect(m.spec.platforms[1].sha256).toBe('b'.repeat(64));
    expect(m.spec.platforms[0].uri).toMatch(/kubectl-modelcar_v1\.2\.3_linux_amd64\.tar\.gz$/);
    expect(m.spec.platforms[0].bin).toBe('kubectl-modelcar');
  });

  it('matches the committed krew-manifest.yaml in shape', async () => {
    const committed = parse(await readFile(path.join(import.meta.dirname, '..', 'krew-manifest.yaml'), 'utf8'));
    expect(committed.spec.platforms).toHaveLength(2);
    for (const p of committed.spec.platforms) expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
