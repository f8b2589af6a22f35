// The one place that decides about colour: `--color always|never|auto`; auto means a terminal on
// stdout, no NO_COLOR (https://no-color.org: any non-empty value) and TERM not "dumb".

export type ColorMode = 'auto' | 'always' | 'never';

export function useColor(mode: ColorMode, isTTY: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return isTTY === true;
}

export interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export function paint(enabled: boolean): Paint {
  if (!enabled) {
    const id = (s: string) => s;
    return { red: id, yellow: id, green: id, cyan: id, dim: id, bold: id };
  }
  return { red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39), cyan: sgr(36, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
}
