// The README repeats the ClusterRole of docs/permissions.md (which a lab test applies and proves
// sufficient for inspect): the two must not drift apart.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const clusterRoleBlock = (file: string) =>
  /```yaml\n([\s\S]*?kind: ClusterRole\n[\s\S]*?)```/.exec(readFileSync(path.join(root, file), 'utf8'))?.[1];

describe('README', () => {
  it('shows the same ready ClusterRole as docs/permissions.md', () => {
    const docs = clusterRoleBlock('docs/permissions.md');
    expect(docs).toContain('kind: ClusterRole');
    expect(clusterRoleBlock('README.md')).toBe(docs);
  });

  it('names the two fresh-machine commands, and .ci/run calls the test one', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toContain('bash scripts/demo.sh');
    expect(readme).toContain('bash scripts/test.sh');
    expect(readFileSync(path.join(root, '.ci/run'), 'utf8')).toContain('scripts/test.sh');
  });
});
