// Image names as containerd reports them in container statuses (Kubernetes 1.24+ clusters):
// `busybox` -> `docker.io/library/busybox:latest`, imageID `docker.io/library/busybox@sha256:...`.

/** The fully qualified reference: registry, repository, and a tag (`latest` when none) unless pinned by digest. */
export function normalizeImageRef(ref: string): string {
  const [nameAndTag, digest] = ref.split('@') as [string, string | undefined];
  const slash = nameAndTag.indexOf('/');
  const first = slash === -1 ? '' : nameAndTag.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  let name = hasRegistry ? nameAndTag : `docker.io/${slash === -1 ? `library/${nameAndTag}` : nameAndTag}`;
  const lastSlash = name.lastIndexOf('/');
  const hasTag = name.indexOf(':', lastSlash) !== -1;
  if (digest) return `${name}@${digest}`;
  if (!hasTag) name += ':latest';
  return name;
}

/** `<repository>@<digest>`, the imageID containerd reports. */
export function imageIDFor(ref: string, digest: string): string {
  const normalized = normalizeImageRef(ref).split('@')[0]!;
  const lastSlash = normalized.lastIndexOf('/');
  const colon = normalized.indexOf(':', lastSlash);
  return `${colon === -1 ? normalized : normalized.slice(0, colon)}@${digest}`;
}
