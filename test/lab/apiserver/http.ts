// Small HTTP helpers shared by the API server's handlers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest } from './errors.ts';
import { decodeProtobufBody, PROTOBUF } from './protobuf.ts';

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  sendRaw(res, code, typeof body === 'string' ? body : JSON.stringify(body), contentType);
}

export function sendRaw(res: ServerResponse, code: number, body: string | Buffer, contentType: string): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' });
  res.end(body);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const apiErr = toApiError(err);
  if (res.headersSent) { res.destroy(); return; }
  sendJson(res, apiErr.code, apiErr.toStatus());
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError('InternalError', `Internal error occurred: ${message}`);
}

/** A Status with status Success, as DELETE answers when the object is gone. */
export function successStatus(details: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Parses a request body as JSON, YAML (apply patches, YAML content types) or Kubernetes protobuf. */
export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if ((contentType ?? '').startsWith(PROTOBUF)) return raw.length ? decodeProtobufBody(raw) : undefined;
  const text = raw.toString('utf8');
  if (!text.trim()) return undefined;
  try {
    if ((contentType ?? '').includes('yaml')) return parseYaml(text);
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`the body of the request was in an unknown format - ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Whether the client asked for a meta.k8s.io Table (kubectl get's human output). */
export function wantsTable(accept: string | undefined): boolean {
  return /as=Table/.test(accept ?? '');
}
