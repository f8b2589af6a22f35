// KServe versions and what differs between them. Behaviour is read from the pod spec first
// (pod.ts); these are for what the spec cannot tell.

export type Version = readonly [number, number, number];

/** "v0.15.2", "0.15.2-rc1", "v0.15" -> [0, 15, 2]; null for digests, "latest", vendor tags. */
export function parseVersion(s: string | null | undefined): Version | null {
  if (!s) return null;
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(s.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** a >= b, with b written "v0.15.2". */
export function atLeast(a: Version, b: string): boolean {
  return compareVersions(a, parseVersion(b)!) >= 0;
}

/** The tag of a controller image ("kserve/kserve-controller:v0.15.2" -> "v0.15.2"), when it is a version. */
export function versionFromImage(image: string | undefined): string | null {
  if (!image || image.includes('@')) return null;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon <= slash) return null;
  const tag = image.slice(colon + 1);
  return parseVersion(tag) ? tag : null;
}

/** Version boundaries of modelcar behaviour (kserve-modelcar-facts.md, checked against the source). */
export const SINCE = {
  modelcarInit: 'v0.14.0',
  lnForce: 'v0.15.0',
  enabledByDefault: 'v0.15.2',
  securityContextMerged: 'v0.18.0',
  storageUrisOci: 'v0.19.0',
  severalSourcesAndNative: 'v0.20.0',
} as const;
