// The plugin's only door to @kubernetes/client-node and ws: both are large (about 4 MB bundled, most
// of the plugin's start-up when parsed), so every use goes through `await import('./k8s.ts')` and a
// build can put this module, with what it pulls in, into a file of its own that `--help` never loads.
export { Exec, KubeConfig } from '@kubernetes/client-node';
export { default as WebSocket } from 'ws';
