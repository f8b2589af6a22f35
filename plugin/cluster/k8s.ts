// The plugin's only door to @kubernetes/client-node and ws: both are large (about 4 MB bundled, most
// of the plugin's start-up when parsed), so every use goes through `await import('./k8s.ts')` and a
// build can put this module, with what it pulls in, into a file of its own that `--help` never loads.
// Only the two modules the plugin uses, not client-node's index (which loads every API model, watch,
// informers, cp's tar, metrics, ...): that halves what `inspect` evaluates before its first request.
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { Exec } from '@kubernetes/client-node/dist/exec.js';
export { default as WebSocket } from 'ws';
