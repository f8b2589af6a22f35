// `inspect --ephemeral`: when exec into the runtime container cannot run the probe (no shell and no
// tools in its image, or the container is not running), the probe runs in an ephemeral debug
// container added to the pod through pods/ephemeralcontainers, as `kubectl debug --target` does. It
// is the one change the plugin ever makes to a serving pod, so it asks first: an ephemeral container
// cannot be removed from a pod spec (it stays until the pod is deleted; its `sleep` ends by itself).
// The container is built to see what the runtime sees: the runtime's pid namespace
// (targetContainerName), its uid/gid from the spec (so the kernel's /proc/<pid>/root check is the
// runtime's), and its mounts of the model's volume (so the model path exists as in the runtime).
import { randomBytes } from 'node:crypto';
import { modelcarContainers } from '../../shared/kserve/pod.ts';
import type { Container, ExecResult, ExecSkipped, Pod, VolumeMount } from '../../shared/snapshot.ts';
import type { ApiRequest, KubeClient } from './client.ts';
import { ConnectionError, ForbiddenError, UnauthorizedError, UsageError, rbacRule } from './errors.ts';
import { execInContainer, isModelcarContainer } from './exec.ts';
import { probeModelPath } from './probe.ts';

/** Busybox: sh, ls, find, stat, readlink, grep; a pinned minor, small, on every registry mirror. */
export const DEFAULT_EPHEMERAL_IMAGE = 'busybox:1.36';
/** Names of the plugin's ephemeral containers: `modelcar-inspect-<5 chars>`. Never a modelcar name. */
export const EPHEMERAL_PREFIX = 'modelcar-inspect-';
/** The container ends by itself after this long. */
export const EPHEMERAL_SECONDS = 3600;

export interface EphemeralOptions {
  image: string;
  /** `--yes`: no question asked. */
  yes: boolean;
  /** Whether a person can answer (stdin and stderr are terminals). */
  interactive: boolean;
  /** Asks the question and answers the reply line; only called when `interactive`. */
  ask: (question: string) => Promise<string>;
  /** How long to wait for the container to run. */
  timeoutMs: number;
  execTimeoutMs?: number;
  progress?: (line: string) => void;
}

export interface EphemeralContainer extends Container {
  name: string;
  image: string;
  command: string[];
  targetContainerName: string;
}

/** The runtime container's uid and gid as its spec sets them: the container's securityContext,
 *  else the pod's. Undefined where neither says (the image's USER then decides). */
export function effectiveIds(pod: Pod, container: Container): { runAsUser?: number; runAsGroup?: number } {
  const c = container.securityContext as { runAsUser?: number; runAsGroup?: number } | undefined;
  const p = pod.spec.securityContext as { runAsUser?: number; runAsGroup?: number } | undefined;
  const runAsUser = c?.runAsUser ?? p?.runAsUser;
  const runAsGroup = c?.runAsGroup ?? p?.runAsGroup;
  return { ...(runAsUser !== undefined ? { runAsUser } : {}), ...(runAsGroup !== undefined ? { runAsGroup } : {}) };
}

/** The runtime's mounts that hold the model: volumes a modelcar container mounts too (the shared
 *  provision location), and any mount at or above a model path. */
export function modelMounts(pod: Pod, runtime: Container, modelPaths: string[]): VolumeMount[] {
  const shared = new Set<string>();
  for (const mc of modelcarContainers(pod.spec)) {
    shared.add(mc.volume);
    for (const m of mc.container.volumeMounts ?? []) shared.add(m.name);
  }
  const above = (mount: string) => modelPaths.some((p) => p === mount || p.startsWith(mount.endsWith('/') ? mount : `${mount}/`));
  return (runtime.volumeMounts ?? [])
    .filter((m) => shared.has(m.name) || above(m.mountPath))
    .map((m) => ({ name: m.name, mountPath: m.mountPath, ...(m.subPath ? { subPath: m.subPath } : {}), readOnly: true }));
}

/** The ephemeral container for probing `runtimeName` in `pod`. */
export function ephemeralContainerSpec(pod: Pod, runtimeName: string, modelPaths: string[], image: string, name: string): EphemeralContainer {
  if (isModelcarContainer(runtimeName)) throw new Error(`refusing to target the modelcar container "${runtimeName}"`);
  const runtime = pod.spec.containers.find((c) => c.name === runtimeName);
  if (!runtime) throw new Error(`pod ${pod.metadata.name} has no container "${runtimeName}"`);
  const ids = effectiveIds(pod, runtime);
  const mounts = modelMounts(pod, runtime, modelPaths);
  return {
    name,
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['sleep', String(EPHEMERAL_SECONDS)],
    targetContainerName: runtimeName,
    ...(Object.keys(ids).length ? { securityContext: ids } : {}),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
    terminationMessagePolicy: 'File',
    stdin: false,
    tty: false,
  };
}

export function newEphemeralName(random = () => randomBytes(4).toString('hex').slice(0, 5)): string {
  return `${EPHEMERAL_PREFIX}${random()}`;
}

export function consentQuestion(pod: Pod, c: EphemeralContainer): string {
  return `add ephemeral container ${c.name} (image ${c.image}) to pod ${pod.metadata.namespace}/${pod.metadata.name}? it stays in the pod spec until the pod is deleted [y/N] `;
}

/** Whether the pod may be changed: `--yes`, else a "y" on a terminal. Without a terminal and
 *  without `--yes` it refuses with a UsageError (exit 2): nobody was asked. */
export async function confirmChange(question: string, opts: Pick<EphemeralOptions, 'yes' | 'interactive' | 'ask'>): Promise<boolean> {
  if (opts.yes) return true;
  if (!opts.interactive) {
    throw new UsageError(`--ephemeral would add an ephemeral container to a pod and there is no terminal to ask on: add --yes to allow it (${question.replace(/\? it stays.*$/s, '').trim()})`);
  }
  const answer = (await opts.ask(question)).trim().toLowerCase();
  return answer === 'y' || answer === 'yes';
}

const ACCESS = (namespace: string, pod: string): ApiRequest => ({ verb: 'patch', group: '', version: 'v1', resource: 'pods/ephemeralcontainers', namespace, name: pod });

/** PATCH pods/<pod>/ephemeralcontainers (strategic merge, the full list, as kubectl debug sends). */
export async function patchEphemeralContainers(client: KubeClient, pod: Pod, containers: Container[]): Promise<Pod> {
  const ns = pod.metadata.namespace ?? '';
  const rawPath = `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod.metadata.name)}/ephemeralcontainers`;
  return client.patch<Pod>({ ...ACCESS(ns, pod.metadata.name), rawPath }, JSON.stringify({ spec: { ephemeralContainers: containers } }), 'application/strategic-merge-patch+json');
}

interface EphemeralStatus {
  name: string;
  state?: { running?: unknown; waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; exitCode?: number } };
}

const ephemeralStatuses = (pod: Pod) => ((pod.status as { ephemeralContainerStatuses?: EphemeralStatus[] } | undefined)?.ephemeralContainerStatuses ?? []);
const ephemeralSpecs = (pod: Pod) => ((pod.spec as { ephemeralContainers?: EphemeralContainer[] }).ephemeralContainers ?? []);

/** A running ephemeral container of ours that already targets `runtime` with `image` (an earlier run's). */
export function reusable(pod: Pod, runtime: string, image: string): string | undefined {
  const running = new Set(ephemeralStatuses(pod).filter((s) => s.state?.running).map((s) => s.name));
  return ephemeralSpecs(pod).find((c) => c.name.startsWith(EPHEMERAL_PREFIX) && c.targetContainerName === runtime && c.image === image && running.has(c.name))?.name;
}

/** Polls the pod until the ephemeral container runs; throws when it ended or `timeoutMs` passed. */
async function waitRunning(client: KubeClient, pod: Pod, name: string, timeoutMs: number): Promise<void> {
  const ns = pod.metadata.namespace ?? '';
  const deadline = Date.now() + timeoutMs;
  let last = 'not started';
  for (let delay = 200; ; delay = Math.min(delay * 2, 2000)) {
    const live = await client.get<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: ns, name: pod.metadata.name });
    const st = ephemeralStatuses(live).find((s) => s.name === name);
    if (st?.state?.running) return;
    if (st?.state?.terminated) throw new Error(`ephemeral container ${name} ended (${st.state.terminated.reason ?? `exit ${st.state.terminated.exitCode}`}) before the probe could run`);
    if (st?.state?.waiting) last = [st.state.waiting.reason, st.state.waiting.message].filter(Boolean).join(': ') || 'waiting';
    if (Date.now() + delay > deadline) throw new Error(`ephemeral container ${name} did not start within ${Math.round(timeoutMs / 1000)}s (${last})`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Errors that end the run: no cluster, no credentials, nobody to ask. */
const fatal = (err: unknown) => err instanceof UnauthorizedError || err instanceof ConnectionError || err instanceof UsageError;

function skipped(pod: Pod, container: string, reason: ExecSkipped['reason'], detail: string, extra: Partial<ExecSkipped> = {}): ExecSkipped {
  return { namespace: pod.metadata.namespace ?? '', pod: pod.metadata.name, container, outcome: 'skipped', reason, detail, ...extra };
}

/**
 * The in-pod probe of `runtime` for each model path, run in an ephemeral container (added after
 * consent, or an earlier run's still running). `why` says why exec into the runtime could not.
 * Answers probes with `via` set, or skips saying why not (forbidden: with the Role rule). Throws
 * UsageError when nobody could be asked; connection and credential errors pass through.
 */
export async function probeViaEphemeral(client: KubeClient, pod: Pod, runtime: string, modelPaths: string[], why: ExecSkipped, opts: EphemeralOptions): Promise<ExecResult[]> {
  const ns = pod.metadata.namespace ?? '';
  const rc = pod.spec.containers.find((c) => c.name === runtime);
  if (!rc || effectiveIds(pod, rc).runAsUser === undefined) {
    // Then the runtime's image USER sets its uid, which the API does not show: a debug container would
    // run as another uid (busybox: root) and the kernel's /proc/<pid>/root check would not be the
    // runtime's, so a uid mismatch would pass. Better unchecked than checked as someone else.
    return [{ ...why, detail: `${why.detail ?? why.reason}; --ephemeral: no container added: the pod spec sets no runAsUser for ${runtime} (its image's USER decides), so a debug container could not check as the runtime's uid` }];
  }
  let name = reusable(pod, runtime, opts.image);
  if (!name) {
    const spec = ephemeralContainerSpec(pod, runtime, modelPaths, opts.image, newEphemeralName());
    if (!(await confirmChange(consentQuestion(pod, spec), opts))) {
      return [{ ...why, detail: `${why.detail ?? why.reason}; --ephemeral declined, the pod was not changed` }];
    }
    opts.progress?.(`adding ephemeral container ${spec.name} (image ${spec.image}, target ${runtime}) to pod ${ns}/${pod.metadata.name}`);
    try {
      await patchEphemeralContainers(client, pod, [...ephemeralSpecs(pod), spec]);
    } catch (err) {
      if (err instanceof ForbiddenError) {
        return [
          skipped(pod, runtime, 'forbidden', `--ephemeral: ${err.serverMessage}\nRole rule that grants it:\n${rbacRule(err.access)}`, {
            rbac: { verb: err.access.verb, resource: err.access.resource, namespace: ns },
          }),
        ];
      }
      if (fatal(err)) throw err;
      return [skipped(pod, runtime, 'error', `--ephemeral: ${err instanceof Error ? err.message : String(err)}`)];
    }
    name = spec.name;
  }
  try {
    await waitRunning(client, pod, name, opts.timeoutMs);
  } catch (err) {
    if (fatal(err)) throw err;
    return [skipped(pod, runtime, 'error', `--ephemeral: ${err instanceof Error ? err.message : String(err)}`)];
  }
  const out: ExecResult[] = [];
  for (const modelPath of modelPaths) {
    opts.progress?.(`probing ${runtime} in pod ${pod.metadata.name} through ephemeral container ${name} (${modelPath})`);
    try {
      const r = await probeModelPath({ namespace: ns, pod: pod.metadata.name, container: runtime, modelPath }, (command) =>
        execInContainer(client, ns, pod.metadata.name, name, command, { timeoutMs: opts.execTimeoutMs }),
      );
      out.push(r.outcome === 'probed' ? { ...r, via: { ephemeral: name, image: opts.image } } : { ...r, detail: `--ephemeral ${name}: ${r.detail ?? r.reason}` });
    } catch (err) {
      if (err instanceof ForbiddenError) {
        out.push(skipped(pod, runtime, 'forbidden', `--ephemeral: ${err.serverMessage}\nRole rule that grants it:\n${rbacRule(err.access)}`, { rbac: { verb: err.access.verb, resource: err.access.resource, namespace: ns } }));
        continue;
      }
      if (fatal(err)) throw err;
      out.push(skipped(pod, runtime, 'error', `--ephemeral ${name}: ${err instanceof Error ? err.message : String(err)}`));
    }
  }
  return out;
}
