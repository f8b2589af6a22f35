// Errors the plugin reports to a person, each with what to do next and the exit code of issue 6:
// 2 bad usage or unreadable input (a missing InferenceService counts: the name given was wrong),
// 3 the cluster could not be reached or rejected the credentials. Forbidden and other API failures
// during gathering become snapshot gaps instead (exit 4), unless the very first lookup fails.

export const EXIT_USAGE = 2;
export const EXIT_CLUSTER = 3;

/** Base class: `message` is the one line printed after "error: ". */
export class PluginError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad flags, a bad kubeconfig, unreadable input, a target that does not exist. */
export class UsageError extends PluginError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

/** The API server could not be reached (refused, DNS, TLS, timeout). */
export class ConnectionError extends PluginError {
  constructor(message: string) {
    super(message, EXIT_CLUSTER);
  }
}

/** 401: the server did not accept the credentials. */
export class UnauthorizedError extends PluginError {
  constructor(message: string) {
    super(message, EXIT_CLUSTER);
  }
}

/** What a request needs permission for, in RBAC's terms. */
export interface Access {
  verb: string;
  /** API group; "" for the core group. */
  group: string;
  /** Plural resource, with "/subresource" when there is one: "pods/exec". */
  resource: string;
  namespace?: string;
  name?: string;
}

/** The Role rule that grants `access`, as YAML ready to paste into a Role or ClusterRole. */
export function rbacRule(access: Access): string {
  return [`- apiGroups: [${JSON.stringify(access.group)}]`, `  resources: [${JSON.stringify(access.resource)}]`, `  verbs: [${JSON.stringify(access.verb)}]`].join('\n');
}

export function describeAccess(access: Access): string {
  const group = access.group ? `.${access.group}` : '';
  const where = access.namespace ? ` in namespace "${access.namespace}"` : ' (cluster-wide)';
  return `${access.verb} ${access.resource}${group}${where}`;
}

/** 403 from RBAC or admission. Carries the access that was refused so the rule can be printed. */
export class ForbiddenError extends PluginError {
  readonly access: Access;
  readonly serverMessage: string;
  constructor(access: Access, serverMessage: string, who: string) {
    super(
      `forbidden: ${who} may not ${describeAccess(access)}. Ask a cluster admin for a Role with this rule ` +
        `(see docs/permissions.md):\n${rbacRule(access)}`,
      EXIT_CLUSTER,
    );
    this.access = access;
    this.serverMessage = serverMessage;
  }
}

/** 404 for the object that was asked for. `exitCode` 2: the name or namespace given was wrong. */
export class NotFoundError extends PluginError {
  readonly access: Access;
  constructor(message: string, access: Access) {
    super(message, EXIT_USAGE);
    this.access = access;
  }
}

/** Any other API failure (5xx after retries, 4xx we did not expect). */
export class ApiRequestError extends PluginError {
  readonly status: number;
  readonly reason: string;
  constructor(message: string, status: number, reason: string) {
    super(message, EXIT_CLUSTER);
    this.status = status;
    this.reason = reason;
  }
}

/** The exit code for any thrown value: plugin errors carry theirs; anything else is a bug, reported as usage. */
export function exitCodeFor(err: unknown): number {
  return err instanceof PluginError ? err.exitCode : EXIT_USAGE;
}

const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/(authorization:\s*)(bearer|basic)\s+\S+/gi, '$1$2 <redacted>'],
  [/("?(?:token|id-token|refresh-token|access_token|id_token|refresh_token|password|client-secret|client-key-data)"?\s*[:=]\s*)"?[^",\s}]+"?/gi, '$1"<redacted>"'],
  [/\bBearer\s+[A-Za-z0-9\-._~+/]+=*/g, 'Bearer <redacted>'],
  [/(base64url\.bearer\.authorization\.k8s\.io\.)[A-Za-z0-9_-]+/g, '$1<redacted>'],
];

/** Removes credentials from text before it is printed or logged (headers, exec credential JSON, kubeconfig snippets). */
export function redact(text: string): string {
  let out = text;
  for (const [re, sub] of SECRET_PATTERNS) out = out.replace(re, sub);
  return out;
}
