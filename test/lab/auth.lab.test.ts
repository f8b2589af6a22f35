// Authentication and authorisation of the lab API server, through the real kubectl and client-node:
// the three kubeconfig users (token admin, read-only support, exec-plugin SSO), RBAC answers to
// `kubectl auth can-i`, the real Forbidden and Unauthorized messages, and impersonation.
import { get } from 'node:https';
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { kubectl, labClient } from './testkit.ts';

const canI = async (context: string, ...args: string[]) => {
  const r = await kubectl(['auth', 'can-i', ...args], { context });
  return `${r.stdout.trim()}:${r.exitCode}`;
};

describe('kubectl auth can-i', () => {
  it('answers create pods/exec per user: admin yes, support no, sso yes', async () => {
    expect(await canI('lab-admin', 'create', 'pods', '--subresource=exec', '-n', 'kserve-test')).toBe('yes:0');
    expect(await canI('lab-support', 'create', 'pods', '--subresource=exec', '-n', 'kserve-test')).toBe('no:1');
    expect(await canI('lab-sso', 'create', 'pods', '--subresource=exec', '-n', 'kserve-test')).toBe('yes:0');
  });

  it('lets support read everything, logs included, and change nothing', async () => {
    expect(await canI('lab-support', 'get', 'pods/log', '-n', 'kserve')).toBe('yes:0');
    expect(await canI('lab-support', 'list', 'inferenceservices.serving.kserve.io', '-A')).toBe('yes:0');
    expect(await canI('lab-support', 'watch', 'nodes')).toBe('yes:0');
    expect(await canI('lab-support', 'update', 'configmaps', '-n', 'kserve')).toBe('no:1');
    expect(await canI('lab-support', 'patch', 'configmaps/inferenceservice-config', '-n', 'kserve')).toBe('no:1');
    expect(await canI('lab-support', 'create', 'pods/portforward', '-n', 'kserve')).toBe('no:1');
    expect(await canI('lab-support', 'get', '/version')).toBe('yes:0');
  });

  it('lists the rules with --list', async () => {
    const support = await kubectl(['auth', 'can-i', '--list', '-n', 'kserve'], { context: 'lab-support' });
    expect(support.exitCode).toBe(0);
    expect(support.stdout).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    expect(support.stdout).toMatch(/^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    expect(support.stdout).not.toMatch(/\[\*\]$/m);
    const admin = await kubectl(['auth', 'can-i', '--list', '-n', 'kserve'], { context: 'lab-admin' });
    expect(admin.stdout).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
    expect(admin.stdout).toMatch(/^\s+\[\*\]\s+\[\]\s+\[\*\]$/m);
  });
});

describe('forbidden and unauthenticated requests', () => {
  it('refuses support an exec with the real Forbidden message', async () => {
    const pod = await kubectl(['get', 'pods', '-n', 'kserve', '-l', 'control-plane=kserve-controller-manager', '-o', 'jsonpath={.items[0].metadata.name}'], { context: 'lab-support' });
    expect(pod.stdout).not.toBe('');
    const r = await kubectl(['exec', '-n', 'kserve', pod.stdout, '--', 'true'], { context: 'lab-support' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim()).toBe(
      `Error from server (Forbidden): pods "${pod.stdout}" is forbidden: User "support" cannot create resource "pods/exec" in API group "" in the namespace "kserve"`,
    );
  });

  it('refuses support any change', async () => {
    const create = await kubectl(['create', 'configmap', 'support-was-here', '-n', 'default'], { context: 'lab-support' });
    expect(create.stderr.trim()).toBe(
      'error: failed to create configmap: configmaps is forbidden: User "support" cannot create resource "configmaps" in API group "" in the namespace "default"',
    );
    const patch = await kubectl(['patch', 'configmap', 'inferenceservice-config', '-n', 'kserve', '--type', 'merge', '-p', '{"data":{"x":"y"}}'], { context: 'lab-support' });
    expect(patch.stderr.trim()).toBe(
      'Error from server (Forbidden): configmaps "inferenceservice-config" is forbidden: User "support" cannot patch resource "configmaps" in API group "" in the namespace "kserve"',
    );
  });

  it('answers a wrong token with 401, which kubectl reports as not logged in', async () => {
    const r = await kubectl(['get', 'namespaces', '--token', 'not-a-lab-token']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('error: You must be logged in to the server (Unauthorized)');
  });
});

describe('requests without credentials', () => {
  /** GET against the lab with its CA and no Authorization header. */
  const anonymousGet = (path: string) => {
    const cluster = labClient().getCurrentCluster()!;
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(`${cluster.server}${path}`, { ca: Buffer.from(cluster.caData!, 'base64') }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
  };

  it('are system:anonymous: public health and version info, nothing else', async () => {
    expect((await anonymousGet('/version')).status).toBe(200);
    const pods = await anonymousGet('/api/v1/namespaces/kserve/pods');
    expect(pods.status).toBe(403);
    expect(JSON.parse(pods.body).message).toBe('pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "kserve"');
    expect(JSON.parse((await anonymousGet('/api')).body).message).toBe('forbidden: User "system:anonymous" cannot get path "/api"');
  });
});

describe('the SSO user (exec credential plugin)', () => {
  it('works through kubectl', async () => {
    const r = await kubectl(['get', 'namespace', 'kserve', '-o', 'name'], { context: 'lab-sso' });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'namespace/kserve' });
    const whoami = await kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}'], { context: 'lab-sso' });
    expect(whoami.stdout).toBe('sso-user ["sso:engineers","system:authenticated"]');
  });

  it('works through client-node', async () => {
    const api = labClient('lab-sso').makeApiClient(CoreV1Api);
    const list = await api.listNamespacedConfigMap({ namespace: 'kserve' });
    expect(list.items.map((cm) => cm.metadata?.name)).toContain('inferenceservice-config');
  });

  it('is refused by client-node as support, with the Forbidden status', async () => {
    const api = labClient('lab-support').makeApiClient(CoreV1Api);
    const err = await api.deleteNamespacedConfigMap({ namespace: 'kserve', name: 'inferenceservice-config' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 403 });
    expect(JSON.parse((err as { body: string }).body)).toMatchObject({
      reason: 'Forbidden',
      message: 'configmaps "inferenceservice-config" is forbidden: User "support" cannot delete resource "configmaps" in API group "" in the namespace "kserve"',
    });
  });
});

describe('impersonation', () => {
  it('lets admin act as support and as a group', async () => {
    expect(await canI('lab-admin', 'create', 'pods', '--subresource=exec', '-n', 'kserve', '--as', 'support')).toBe('no:1');
    expect(await canI('lab-admin', 'create', 'pods', '--subresource=exec', '-n', 'kserve', '--as', 'alice', '--as-group', 'sso:engineers')).toBe('yes:0');
    const whoami = await kubectl(['auth', 'whoami', '--as', 'alice', '--as-group', 'devs', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}']);
    expect(whoami.stdout).toBe('alice ["devs","system:authenticated"]');
  });

  it('refuses support impersonating admin with the real message', async () => {
    const r = await kubectl(['get', 'namespaces', '--as', 'admin'], { context: 'lab-support' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      'Error from server (Forbidden): users "admin" is forbidden: User "support" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
  });
});
