// Random name suffixes as the real API server and controllers make them.
import { randomBytes, randomUUID } from 'node:crypto';

// k8s.io/apimachinery/pkg/util/rand: no vowels and no confusable characters.
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5): string {
  const bytes = randomBytes(n);
  let s = '';
  for (const b of bytes) s += ALPHANUMS[b % ALPHANUMS.length];
  return s;
}

/** The name generateName produces: prefix plus five random characters. */
export function generateName(prefix: string): string {
  return `${prefix}${randomSuffix(5)}`;
}

export function newUid(): string {
  return randomUUID();
}

/** RFC 3339 with seconds, as metav1.Time serialises. */
export function nowTimestamp(now = Date.now()): string {
  return new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** metav1.MicroTime, used by events.k8s.io eventTime. */
export function nowMicroTimestamp(now = Date.now()): string {
  return new Date(now).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Same alphabet as randomSuffix, for hashes the controllers encode (pod-template-hash). */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}
