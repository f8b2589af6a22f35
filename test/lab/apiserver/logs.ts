// GET pods/<name>/log: picks the container as the real server does, then streams from the LogSource.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import type { KObject, LogSource } from '../types.ts';
import { badRequest } from './errors.ts';

type Container = { name: string };
type PodSpec = { containers?: Container[]; initContainers?: Container[]; ephemeralContainers?: Container[] };

const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** The container a log or exec request addresses; BadRequest with the real messages otherwise. */
export function resolveContainer(pod: KObject, requested: string | null): string {
  const spec = (pod.spec ?? {}) as PodSpec;
  const names = (list?: Container[]) => (list ?? []).map((c) => c.name);
  const all = [...names(spec.containers), ...names(spec.initContainers), ...names(spec.ephemeralContainers)];
  const podName = pod.metadata.name!;
  if (requested) {
    if (!all.includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${podName}`);
    return requested;
  }
  const containers = names(spec.containers);
  if (containers.length === 1) return containers[0]!;
  const annotated = pod.metadata.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated && all.includes(annotated)) return annotated;
  let message = `a container name must be specified for pod ${podName}, choose one of: [${containers.join(' ')}]`;
  if (spec.initContainers?.length) message += ` or one of the init containers: [${names(spec.initContainers).join(' ')}]`;
  if (spec.ephemeralContainers?.length) message += ` or one of the ephemeral containers: [${names(spec.ephemeralContainers).join(' ')}]`;
  throw badRequest(message);
}

/** Without a kubelet nothing has started: the kubelet's answer for a container not yet running. */
function notStarted(pod: KObject, container: string): never {
  const statuses = [
    ...(((pod.status as { containerStatuses?: Array<{ name: string; state?: { waiting?: { reason?: string } } }> } | undefined)?.containerStatuses) ?? []),
    ...(((pod.status as { initContainerStatuses?: Array<{ name: string; state?: { waiting?: { reason?: string } } }> } | undefined)?.initContainerStatuses) ?? []),
  ];
  const reason = statuses.find((s) => s.name === container)?.state?.waiting?.reason ?? 'ContainerCreating';
  throw badRequest(`container "${container}" in pod "${pod.metadata.name}" is waiting to start: ${reason}`);
}

export async function serveLogs(req: IncomingMessage, res: ServerResponse, pod: KObject, query: URLSearchParams, source: LogSource | undefined): Promise<void> {
  const container = resolveContainer(pod, query.get('container'));
  if (!source) notStarted(pod, container);
  const num = (k: string): number | undefined => (query.has(k) ? Number(query.get(k)) : undefined);
  const abort = new AbortController();
  req.on('close', () => abort.abort());
  let started = false;
  const out = new Writable({
    write(chunk, _enc, cb) {
      if (!started) { res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' }); started = true; }
      res.write(chunk, cb);
    },
  });
  await source.logs({
    namespace: pod.metadata.namespace!,
    pod,
    container,
    previous: query.get('previous') === 'true',
    follow: query.get('follow') === 'true',
    tailLines: num('tailLines'),
    sinceSeconds: num('sinceSeconds'),
    timestamps: query.get('timestamps') === 'true',
    limitBytes: num('limitBytes'),
  }, out, abort.signal);
  if (!started) res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end();
}
