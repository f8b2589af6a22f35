// URL -> what is addressed: /api/v1/... and /apis/<group>/<version>/..., namespaced or not.
import { ApiError } from './errors.ts';
import type { ResourceRegistry, ResourceType } from './resources.ts';

export interface ResourceRoute {
  type: ResourceType;
  group: string;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Parses a resource path; undefined for non-resource paths (discovery, /version, ...). */
export function parseResourcePath(path: string, reg: ResourceRegistry): ResourceRoute | undefined {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) { group = ''; version = parts[1]!; rest = parts.slice(2); }
  else if (parts[0] === 'apis' && parts.length >= 4) { group = parts[1]!; version = parts[2]!; rest = parts.slice(3); }
  else return undefined;

  let namespace: string | undefined;
  // /namespaces/<ns>/<resource>... addresses namespaced resources; /namespaces/<ns>[/status|/finalize]
  // addresses the Namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  const type = reg.lookup(group, version, plural!);
  if (!type || extra.length) throw new ApiError('NotFound', 'the server could not find the requested resource');
  if (namespace !== undefined && !type.namespaced) throw new ApiError('NotFound', 'the server could not find the requested resource');
  if (subresource && !type.subresources.some((s) => s.name === subresource)) {
    throw new ApiError('NotFound', 'the server could not find the requested resource');
  }
  return { type, group, version, namespace, name, subresource };
}
