import { describe, expect, it } from 'vitest';
import { isModelcarContainer, parseExecStatus } from './exec.ts';

describe('the exec status frame (channel 3)', () => {
  it('Success is exit 0', () => {
    expect(parseExecStatus('{"metadata":{},"status":"Success"}')).toEqual({ exitCode: 0, commandNotFound: false });
  });

  it('NonZeroExitCode carries the code in details.causes', () => {
    const frame = JSON.stringify({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(parseExecStatus(frame)).toEqual({ exitCode: 3, commandNotFound: false });
  });

  it('a missing executable is a failure without exit code, marked command-not-found', () => {
    const frame = JSON.stringify({
      status: 'Failure',
      reason: 'InternalError',
      message: 'Internal error occurred: error executing command in container: failed to exec in container: OCI runtime exec failed: exec failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown',
    });
    const r = parseExecStatus(frame);
    expect(r.exitCode).toBeNull();
    expect(r.commandNotFound).toBe(true);
    expect(r.failure).toContain('executable file not found');
  });

  it('garbage and wrong shapes do not throw', () => {
    expect(parseExecStatus('not json')).toMatchObject({ exitCode: null, commandNotFound: false });
    expect(parseExecStatus('{"status": 5}')).toMatchObject({ exitCode: null });
    expect(parseExecStatus(JSON.stringify({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: 'x' }] } }))).toMatchObject({ exitCode: null });
  });

  it('knows the modelcar containers it must never exec into', () => {
    expect(['modelcar', 'modelcar-init', 'modelcar-3', 'modelcar-init-1'].every(isModelcarContainer)).toBe(true);
    expect(['kserve-container', 'worker-container', 'my-modelcar'].some(isModelcarContainer)).toBe(false);
  });
});
