// Kubernetes' `$(VAR)` expansion (k8s.io/kubernetes/third_party/forked/golang/expansion) and the way
// command/args combine with the image's Entrypoint/Cmd.
import type { ImageConfig } from '../types.ts';

/** Expands `$(NAME)` from `lookup`; `$$` is an escaped `$`; an unknown or unclosed reference stays as written. */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    const { text, advance } = readReference(rest, lookup);
    out += text;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

function readReference(rest: string, lookup: (name: string) => string | undefined): { text: string; advance: number } {
  if (rest[0] === '$') return { text: '$', advance: 1 };
  if (rest[0] === '(') {
    const close = rest.indexOf(')', 1);
    if (close === -1) return { text: '$(', advance: 1 };
    const name = rest.slice(1, close);
    return { text: lookup(name) ?? `$(${name})`, advance: close + 1 };
  }
  return { text: `$${rest[0]}`, advance: 1 };
}

/** The process argv a container runs: `command` replaces the Entrypoint (and drops the image's Cmd),
 *  `args` replaces Cmd; both are expanded against the container's environment. */
export function containerArgv(
  spec: { command?: string[]; args?: string[] },
  image: ImageConfig,
  env: Map<string, string>,
): string[] {
  const lookup = (name: string) => env.get(name);
  const command = spec.command?.length ? spec.command.map((s) => expand(s, lookup)) : undefined;
  const args = spec.args?.length ? spec.args.map((s) => expand(s, lookup)) : undefined;
  if (command) return [...command, ...(args ?? [])];
  return [...(image.entrypoint ?? []), ...(args ?? image.cmd ?? [])];
}
