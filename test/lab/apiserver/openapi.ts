// OpenAPI as kubectl uses it. `kubectl apply`/`create` (default --validate=strict) ask /openapi/v3
// whether the server validates fields itself: a group/version document whose PATCH operation for the
// kind has the `fieldValidation` query parameter means yes, and kubectl then sends
// `fieldValidation=Strict` instead of validating locally. /openapi/v2 is fetched too (as protobuf);
// an empty body is a valid empty Document. No schemas are served, so kubectl computes strategic
// merge patches from its built-in types, as it does for kinds the schema lacks.
import { createHash } from 'node:crypto';
import { apiVersionOf, type ResourceRegistry } from './resources.ts';

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

export function openApiV2Json(): Record<string, unknown> {
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.33.1' }, paths: {}, definitions: {} };
}

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** The /openapi/v3 index: one entry per group/version, with a hash that changes with its content. */
export function openApiV3Index(reg: ResourceRegistry): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, versions } of reg.groupVersions()) {
    for (const version of versions) {
      const doc = JSON.stringify(openApiV3GroupVersion(reg, group, version));
      const hash = createHash('sha512').update(doc).digest('hex').slice(0, 64).toUpperCase();
      paths[gvPath(group, version)] = { serverRelativeURL: `/openapi/v3/${gvPath(group, version)}?hash=${hash}` };
    }
  }
  return { paths };
}

const FIELD_VALIDATION_PARAM = {
  name: 'fieldValidation',
  in: 'query',
  description: 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.',
  schema: { type: 'string', uniqueItems: true },
};

export function openApiV3GroupVersion(reg: ResourceRegistry, group: string, version: string): Record<string, unknown> | undefined {
  const types = reg.all().filter((t) => t.served.some((s) => s.group === group && s.version === version));
  if (!types.length) return undefined;
  const paths: Record<string, unknown> = {};
  for (const t of types) {
    const gvk = { group, version, kind: t.kind };
    const base = `/${gvPath(group, version)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}/{name}`;
    paths[base] = {
      patch: {
        description: `partially update the specified ${t.kind}`,
        operationId: `patch${t.kind}`,
        parameters: [FIELD_VALIDATION_PARAM, { name: 'dryRun', in: 'query', schema: { type: 'string' } }, { name: 'fieldManager', in: 'query', schema: { type: 'string' } }],
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
      },
      put: {
        operationId: `replace${t.kind}`,
        parameters: [FIELD_VALIDATION_PARAM],
        'x-kubernetes-action': 'put',
        'x-kubernetes-group-version-kind': gvk,
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.33.1' },
    paths,
    components: { schemas: {} },
    'x-lab-group-version': apiVersionOf(group, version),
  };
}
