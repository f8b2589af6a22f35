// gather(): one InferenceService on a live cluster -> a Snapshot. Few API calls, independent ones in
// parallel; every failed call becomes a gap (the report is then incomplete, exit 4) except those that
// make the whole run pointless (unreachable server, rejected credentials, the target itself missing).
// gather never judges: what the objects mean is for shared/checks.
import { CONFIG_MAP_NAME } from '../../shared/kserve/config.ts';
import {
  DEFAULT_MODEL_PATH,
  ISVC_LABEL,
  modelcarContainers,
  modelcarInitContainers,
  ociSources,
  runtimeContainers,
} from '../../shared/kserve/pod.ts';
import { versionFromImage } from '../../shared/kserve/version.ts';
import {
  emptySnapshot,
  type ContainerLog,
  type ExecResult,
  type ExecSkipped,
  type Gap,
  type KObject,
  type LogAbsence,
  type Pod,
  type Snapshot,
} from '../../shared/snapshot.ts';
import { getInferenceServiceOrExplain, type KubeClient } from './client.ts';
import { ApiRequestError, ConnectionError, ForbiddenError, NotFoundError, UnauthorizedError, UsageError, rbacRule } from './errors.ts';
import { execInContainer } from './exec.ts';
import { probeModelPath } from './probe.ts';

export const CONTROLLER_LABEL = 'control-plane=kserve-controller-manager';
export const DEFAULT_KSERVE_NAMESPACE = 'kserve';

export interface GatherTarget {
  namespace: string;
  name: string;
  /** `--pod NAME`: inspect only this pod. */
  pod?: string;
}

export interface GatherOptions {
  kserveNamespace?: string;
  kserveVersion?: string;
  /** Run the in-pod probes (false: every exec is recorded as 'not-requested'). */
  exec?: boolean;
  /** Lines of each log to keep. */
  logTail?: number;
  execTimeoutMs?: number;
  /** For tests: the snapshot time. */
  now?: Date;
  /** Progress notes for stderr ("probing pod x ..."); none by default. */
  progress?: (line: string) => void;  /** `--ephemeral`: probes `runtime` another way when exec into it cannot (`why`: no shell, not running). */
  ephemeral?: (pod: Pod, runtime: string, modelPaths: string[], why: ExecSkipped) => Promise<ExecResult[]>;
}

/** Errors that end the run instead of becoming gaps. */
function isFatal(err: unknown): boolean {
  return err instanceof UnauthorizedError || err instanceof ConnectionError;
}

function statusOf(err: unknown): number | null {
  if (err instanceof ForbiddenError) return 403;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof ApiRequestError) return err.status;
  return null;
}

/** Collects gaps; rethrows fatal errors. */
class Recorder {
  readonly gaps: Gap[] = [];

  /** Runs `call`; on failure records a gap and answers `fallback`. 404 answers `fallback` silently when `missingIsFine`. */
  async attempt<T>(what: Omit<Gap, 'status' | 'message'>, call: () => Promise<T>, fallback: T, missingIsFine = false): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (isFatal(err)) throw err;
      if (missingIsFine && err instanceof NotFoundError) return fallback;
      this.gaps.push({ ...what, status: statusOf(err), message: err instanceof Error ? err.message : String(err) });
      return fallback;
    }
  }
}

/** The controller namespace from the controller pods: their POD_NAMESPACE env, else their namespace. */
export function controllerNamespace(pods: Pod[]): string | undefined {
  for (const p of pods) {
    for (const c of p.spec.containers) {
      const env = c.env?.find((e) => e.name === 'POD_NAMESPACE');
      if (env?.value) return env.value;
    }
  }
  return pods[0]?.metadata.namespace;
}

/** The controller image (the `manager` container, else the first). */
export function controllerImage(pods: Pod[]): string | undefined {
  const p = pods[0];
  if (!p) return undefined;
  return (p.spec.containers.find((c) => c.name === 'manager') ?? p.spec.containers[0])?.image;
}

/** Events that concern the InferenceService and the objects made for it (pods, ReplicaSets,
 *  Deployments, Revisions are all named after it), plus anything else named with a known uid. */
export function relevantEvents<T extends { involvedObject?: { name?: string; uid?: string } }>(events: T[], isvcName: string, uids: Set<string>): T[] {
  return events.filter((e) => {
    const o = e.involvedObject ?? {};
    return (o.uid !== undefined && uids.has(o.uid)) || o.name === isvcName || (o.name ?? '').startsWith(`${isvcName}-`);
  });
}

/** The containers whose logs are evidence: modelcar[-N], modelcar-init[-N] and the runtime containers. */
export function logContainers(pod: Pod): string[] {
  return [...modelcarContainers(pod.spec).map((m) => m.container.name), ...modelcarInitContainers(pod.spec).map((c) => c.name), ...runtimeContainers(pod.spec).map((c) => c.name)];
}

function logAbsence(err: unknown, previous: boolean): { absence: LogAbsence; detail: string } {
  const detail = err instanceof Error ? err.message : String(err);
  if (err instanceof ForbiddenError) return { absence: 'forbidden', detail };
  if (err instanceof NotFoundError) return { absence: 'not-found', detail };
  if (err instanceof ApiRequestError && err.status === 400) {
    if (previous || /previous terminated container/i.test(detail)) return { absence: 'no-previous', detail };
    return { absence: 'not-started', detail };
  }
  return { absence: 'error', detail };
}

function containerStatus(pod: Pod, name: string) {
  return [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((s) => s.name === name);
}

async function gatherLogs(client: KubeClient, pod: Pod, tail: number): Promise<ContainerLog[]> {
  const ns = pod.metadata.namespace ?? '';
  const jobs: Array<Promise<ContainerLog>> = [];
  for (const container of logContainers(pod)) {
    const st = containerStatus(pod, container);
    const started = st?.state?.running !== undefined || st?.state?.terminated !== undefined;
    const restarted = (st?.restartCount ?? 0) > 0 || st?.lastState?.terminated !== undefined;
    for (const previous of [false, true]) {
      const base = { namespace: ns, pod: pod.metadata.name, container, previous };
      if (!previous && !started) {
        jobs.push(Promise.resolve({ ...base, absence: 'not-started', detail: st?.state?.waiting?.reason ?? 'not started' }));
        continue;
      }
      if (previous && !restarted) continue;
      jobs.push(
        client.podLog(ns, pod.metadata.name, container, { previous, tailLines: tail }).then(
          (text) => ({ ...base, text }),
          (err: unknown) => {
            if (isFatal(err)) throw err;
            return { ...base, ...logAbsence(err, previous) };
          },
        ),
      );
    }
  }
  return Promise.all(jobs);
}

function podIsRunning(pod: Pod, container: string): boolean {
  return pod.status?.phase === 'Running' && containerStatus(pod, container)?.state?.running !== undefined;
}

/** The in-pod probes of one pod: each runtime container, each model path its modelcars link. */
async function probePod(client: KubeClient, pod: Pod, opts: GatherOptions, forbidden: { err?: ForbiddenError }): Promise<ExecResult[]> {
  const ns = pod.metadata.namespace ?? '';
  const paths = [...new Set(modelcarContainers(pod.spec).map((m) => m.modelPath ?? DEFAULT_MODEL_PATH))];
  const out: ExecResult[] = [];
  for (const rc of runtimeContainers(pod.spec)) {
    const skip = (reason: ExecSkipped['reason'], detail: string, extra: Partial<ExecSkipped> = {}): ExecSkipped => ({
      namespace: ns,
      pod: pod.metadata.name,
      container: rc.name,
      outcome: 'skipped',
      reason,
      detail,
      ...extra,
    });
    if (paths.length === 0) {
      out.push(skip('not-requested', 'the pod has no modelcar container: nothing to probe'));
      continue;
    }
    if (opts.exec === false) {
      out.push(skip('not-requested', 'in-pod checks were not requested'));
      continue;
    }
    if (!podIsRunning(pod, rc.name)) {
      const why = skip('pod-not-running', `container ${rc.name} is not running (pod phase ${pod.status?.phase ?? 'unknown'})`);
      // An ephemeral container needs the pod's sandbox: only in a Running pod.
      if (opts.ephemeral && pod.status?.phase === 'Running' && !forbidden.err) out.push(...(await opts.ephemeral(pod, rc.name, paths, why)));
      else out.push(why);
      continue;
    }
    for (const modelPath of paths) {
      if (forbidden.err) {
        out.push(forbiddenSkip(ns, pod.metadata.name, rc.name, forbidden.err));
        continue;
      }
      opts.progress?.(`probing ${rc.name} in pod ${pod.metadata.name} (${modelPath})`);
      try {
        const probe = await probeModelPath({ namespace: ns, pod: pod.metadata.name, container: rc.name, modelPath }, (command) =>
          execInContainer(client, ns, pod.metadata.name, rc.name, command, { timeoutMs: opts.execTimeoutMs }),
        );
        if (probe.outcome === 'skipped' && probe.reason === 'no-shell' && opts.ephemeral) {
          // One ephemeral container probes every model path of this runtime.
          out.push(...(await opts.ephemeral(pod, rc.name, paths, probe)));
          break;
        }
        out.push(probe);
      } catch (err) {
        if (isFatal(err) || err instanceof UsageError) throw err;
        if (err instanceof ForbiddenError) {
          forbidden.err = err;
          out.push(forbiddenSkip(ns, pod.metadata.name, rc.name, err));
        } else {
          out.push(skip('error', err instanceof Error ? err.message : String(err)));
        }
      }
    }
  }
  return out;
}

function forbiddenSkip(namespace: string, pod: string, container: string, err: ForbiddenError): ExecSkipped {
  return {
    namespace,
    pod,
    container,
    outcome: 'skipped',
    reason: 'forbidden',
    detail: `${err.serverMessage}\nRole rule that grants it:\n${rbacRule(err.access)}`,
    rbac: { verb: err.access.verb, resource: err.access.resource, namespace },
  };
}

/** Builds the Snapshot of one InferenceService. Throws only for fatal errors (see isFatal) and a missing target. */
export async function gather(client: KubeClient, target: GatherTarget, opts: GatherOptions = {}): Promise<Snapshot> {
  const snap = emptySnapshot((opts.now ?? new Date()).toISOString(), 'cluster');
  const rec = new Recorder();
  const { namespace, name } = target;
  const isvcSelector = `${ISVC_LABEL}=${name}`;
  const tail = opts.logTail ?? 100;

  // The target first: nothing else is worth asking when it does not exist.
  const [isvc, version] = await Promise.all([
    getInferenceServiceOrExplain(client, namespace, name),
    rec.attempt({ verb: 'get', resource: 'version' }, () => client.serverVersion(), {} as { gitVersion?: string }),
  ]);
  snap.cluster.serverVersion = version.gitVersion ?? null;
  snap.targets.push({ kind: 'InferenceService', namespace, name, ...(target.pod ? { pod: target.pod } : {}) });
  snap.inferenceServices.push(isvc);

  const controllerPodsCall = opts.kserveNamespace
    ? rec.attempt({ verb: 'list', resource: 'pods', namespace: opts.kserveNamespace }, () => client.list<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: opts.kserveNamespace, query: { labelSelector: CONTROLLER_LABEL } }, 'Pod'), [] as Pod[])
    : // Cluster-wide first (the controller may live anywhere); a user who may not list pods everywhere falls back to the default namespace.
      client.list<Pod>({ group: '', version: 'v1', resource: 'pods', query: { labelSelector: CONTROLLER_LABEL } }, 'Pod').catch((err: unknown) => {
        if (isFatal(err)) throw err;
        return rec.attempt(
          { verb: 'list', resource: 'pods', namespace: DEFAULT_KSERVE_NAMESPACE },
          () => client.list<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: DEFAULT_KSERVE_NAMESPACE, query: { labelSelector: CONTROLLER_LABEL } }, 'Pod'),
          [] as Pod[],
        );
      });

  const podsCall = rec.attempt({ verb: 'list', resource: 'pods', namespace }, () => client.listPods(namespace, isvcSelector), [] as Pod[]);
  // The in-pod probes need only the pods: they start as soon as the pods are listed, while the other
  // calls are on their way (the probe's exec, on a connection of its own, is the longest call of a run).
  // They are awaited last, as before, so the errors that end a run stay the same.
  // Probes: pods in parallel, one exec at a time inside a pod. A 403 on the first stops the rest.
  const forbidden: { err?: ForbiddenError } = {};
  const probesCall = podsCall.then((pods) => {
    const selected = target.pod ? pods.filter((p) => p.metadata.name === target.pod) : pods;
    const needsProbe = ociSources(isvc).length > 0 || selected.some((p) => modelcarContainers(p.spec).length > 0);
    return needsProbe ? Promise.all(selected.map((p) => probePod(client, p, opts, forbidden))).then((r) => r.flat()) : undefined;
  });
  // Should an earlier call end the run, this must not become an unhandled rejection.
  probesCall.catch(() => undefined);

  const [pods, events, replicaSets, deployments, revisions, ns, limitRanges, quotas, runtimes, clusterRuntimes, controllerPods] = await Promise.all([
    podsCall,
    rec.attempt({ verb: 'list', resource: 'events', namespace }, () => client.listEvents(namespace), []),
    rec.attempt({ verb: 'list', resource: 'replicasets.apps', namespace }, () => client.listReplicaSets(namespace, isvcSelector), []),
    rec.attempt({ verb: 'list', resource: 'deployments.apps', namespace }, () => client.listDeployments(namespace, isvcSelector), []),
    // Knative may not be installed: a 404 there is an answer, not a gap.
    rec.attempt({ verb: 'list', resource: 'revisions.serving.knative.dev', namespace }, () => client.listRevisions(namespace, isvcSelector), [], true),
    rec.attempt({ verb: 'get', resource: 'namespaces', name: namespace }, () => client.getNamespace(namespace), undefined),
    rec.attempt({ verb: 'list', resource: 'limitranges', namespace }, () => client.listLimitRanges(namespace), []),
    rec.attempt({ verb: 'list', resource: 'resourcequotas', namespace }, () => client.listResourceQuotas(namespace), []),
    rec.attempt({ verb: 'list', resource: 'servingruntimes.serving.kserve.io', namespace }, () => client.listServingRuntimes(namespace), [], true),
    rec.attempt({ verb: 'list', resource: 'clusterservingruntimes.serving.kserve.io' }, () => client.listClusterServingRuntimes(), [], true),
    controllerPodsCall,
  ]);

  let selected = pods;
  if (target.pod) {
    selected = pods.filter((p) => p.metadata.name === target.pod);
    if (selected.length === 0) {
      throw new UsageError(
        `pod "${target.pod}" is not a pod of InferenceService "${name}" in namespace "${namespace}"` +
          (pods.length ? `; its pods: ${pods.map((p) => p.metadata.name).join(', ')}` : '; it has no pods right now (drop --pod to inspect the spec)'),
      );
    }
  }
  snap.pods = selected;
  snap.replicaSets = replicaSets;
  snap.deployments = deployments;
  snap.revisions = revisions;
  if (ns) snap.namespaces.push(ns);
  snap.limitRanges = limitRanges;
  snap.resourceQuotas = quotas;
  snap.servingRuntimes = [...runtimes, ...clusterRuntimes];

  // KServe install: namespace and version.
  const kserveNamespace = opts.kserveNamespace ?? controllerNamespace(controllerPods) ?? DEFAULT_KSERVE_NAMESPACE;
  snap.kserve.namespace = kserveNamespace;
  snap.kserve.namespaceSource = opts.kserveNamespace ? 'flag' : controllerPods.length ? 'controller-pods' : 'default';
  snap.kserve.controllerPods = controllerPods;
  const image = controllerImage(controllerPods);
  snap.kserve.controllerVersion = opts.kserveVersion
    ? { version: opts.kserveVersion, source: 'flag', ...(image ? { image } : {}) }
    : { version: versionFromImage(image), source: versionFromImage(image) ? 'image-tag' : 'unknown', ...(image ? { image } : {}) };

  const uids = new Set<string>([isvc, ...pods, ...replicaSets, ...deployments, ...revisions].map((o: KObject) => o.metadata.uid ?? '').filter(Boolean));
  snap.events.push({ namespace, gatheredAt: snap.now, items: relevantEvents(events, name, uids) });

  // Second round: the config, the nodes of the pods, the logs (the probes are under way).
  const nodeNames = [...new Set(selected.map((p) => p.spec.nodeName).filter((n): n is string => !!n))];
  const [configMap, nodes, logs] = await Promise.all([
    client.getConfigMap(kserveNamespace, CONFIG_MAP_NAME).then(
      (cm) => ({ cm, absence: undefined }),
      (err: unknown) => {
        if (isFatal(err)) throw err;
        if (err instanceof NotFoundError) return { cm: null, absence: 'not-found' as const };
        rec.gaps.push({ verb: 'get', resource: 'configmaps', namespace: kserveNamespace, name: CONFIG_MAP_NAME, status: statusOf(err), message: (err as Error).message });
        return { cm: null, absence: err instanceof ForbiddenError ? ('forbidden' as const) : ('error' as const) };
      },
    ),
    // A node that is gone is an answer (the pod outlived it), not a gap.
    Promise.all(nodeNames.map((n) => rec.attempt({ verb: 'get', resource: 'nodes', name: n }, () => client.getNode(n), undefined, true))),
    Promise.all(selected.map((p) => gatherLogs(client, p, tail))),
  ]);
  snap.kserve.configMap = configMap.cm;
  if (configMap.absence) snap.kserve.configMapAbsence = configMap.absence;
  else delete snap.kserve.configMapAbsence;
  snap.nodes = nodes.filter((n): n is NonNullable<typeof n> => n !== undefined);
  snap.logs = logs.flat();

  const execs = await probesCall;
  if (execs) snap.execs = execs;
  snap.gaps = rec.gaps;
  return snap;
}
