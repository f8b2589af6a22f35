// Image references as a container runtime normalises them, mapped onto the lab registry. Every source
// registry (docker.io, quay.io, ghcr.io, gcr.io, ...) maps to the same repository path in the lab, so
// YAML written for a real cluster (`rhuss/kserving-example-sklearn:1.0`) works verbatim.

export interface ImageRef {
  /** The registry the reference names, as containerd normalises it (`docker.io` for Docker Hub). */
  domain: string;
  /** The repository path without the domain: `library/busybox`, `rhuss/kserving-example-sklearn`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** The fully qualified name containerd prints in messages: `docker.io/library/busybox:latest`. */
  name: string;
  /** Where the lab pulls it from: `127.0.0.1:PORT/library/busybox:latest` (digest wins over tag). */
  pullSpec: string;
}

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
// The grammar of github.com/distribution/reference, reduced to what a pod's `image` can hold.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** The error containerd's reference parser gives; the kubelet reports it as InvalidImageName. */
export class InvalidImageRefError extends Error {}

export function resolveImageRef(ref: string, registryHost: string): ImageRef {
  const invalid = (why: string) => new InvalidImageRefError(`couldn't parse image reference "${ref}": invalid reference format${why}`);
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid('');
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw invalid('');
  }
  const parts = rest.split('/');
  // Docker's rule: the first component is a registry when it has a dot or a port, or is localhost.
  const first = parts[0] ?? '';
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let domain = hasDomain ? first : DOCKER_HUB;
  if (DOCKER_HUB_ALIASES.has(domain)) domain = DOCKER_HUB;
  const pathParts = hasDomain ? parts.slice(1) : parts;
  if (pathParts.length === 0 || pathParts.some((p) => !PATH_COMPONENT.test(p))) {
    throw invalid(pathParts.some((p) => p !== p.toLowerCase()) ? ': repository name must be lowercase' : '');
  }
  if (domain === DOCKER_HUB && pathParts.length === 1) pathParts.unshift('library');
  const repository = pathParts.join('/');
  if (!tag && !digest) tag = 'latest';
  const suffix = (t: string | undefined) => (t ? `:${t}` : '') + (digest ? `@${digest}` : '');
  return {
    domain,
    repository,
    tag,
    digest,
    name: `${domain}/${repository}${suffix(tag)}`,
    pullSpec: `${registryHost}/${repository}${digest ? `@${digest}` : `:${tag}`}`,
  };
}
