// All checks of `inspect`: pure functions of one snapshot.
import type { CheckResult } from '../report.ts';
import type { Snapshot } from '../snapshot.ts';
import { checkConfig } from './config.ts';
import { buildContext } from './context.ts';
import { checkInPod } from './inpod.ts';
import { checkNative } from './native.ts';
import { checkRuntime } from './runtime.ts';
import { checkSpec } from './spec.ts';
import { checkTiming } from './timing.ts';

export function runChecks(snapshot: Snapshot): CheckResult[] {
  const ctx = buildContext(snapshot);
  return [...checkConfig(ctx), ...checkSpec(ctx), ...checkRuntime(ctx), ...checkInPod(ctx), ...checkTiming(ctx), ...checkNative(ctx)];
}
