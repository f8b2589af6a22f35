import { describe, expect, it } from 'vitest';
import { containerArgv, expand } from './expand.ts';

const env = new Map([
  ['NAME', 'model'],
  ['EMPTY', ''],
]);
const lookup = (n: string) => env.get(n);

describe('expand (Kubernetes $(VAR) syntax)', () => {
  it.each([
    ['$(NAME)', 'model'],
    ['a-$(NAME)-b', 'a-model-b'],
    ['$(EMPTY)x', 'x'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(NAME)', '$(NAME)'],
    ['$$$$', '$$'],
    ['ln -sf /proc/$$$$/root/models /mnt/models', 'ln -sf /proc/$$/root/models /mnt/models'],
    ['$HOME', '$HOME'],
    ['$(unclosed', '$(unclosed'],
    ['trailing $', 'trailing $'],
    ['"$$(ls -A /models)"', '"$(ls -A /models)"'],
  ])('%s -> %s', (input, want) => {
    expect(expand(input, lookup)).toBe(want);
  });
});

describe('containerArgv', () => {
  const image = { entrypoint: ['/entry'], cmd: ['default-arg'] };
  it('uses the image Entrypoint and Cmd when the spec sets neither', () => {
    expect(containerArgv({}, image, env)).toEqual(['/entry', 'default-arg']);
  });
  it('replaces only Cmd with args', () => {
    expect(containerArgv({ args: ['$(NAME)'] }, image, env)).toEqual(['/entry', 'model']);
  });
  it('drops both Entrypoint and Cmd when command is set', () => {
    expect(containerArgv({ command: ['sh', '-c'] }, image, env)).toEqual(['sh', '-c']);
    expect(containerArgv({ command: ['sh'], args: ['-c', 'echo $$x'] }, image, env)).toEqual(['sh', '-c', 'echo $x']);
  });
});
