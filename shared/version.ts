// The plugin's version. The build replaces __MODELCAR_VERSION__ / __MODELCAR_COMMIT__ via esbuild `define`;
// when run from source (node plugin/main.ts) the fallbacks below are used.
declare const __MODELCAR_VERSION__: string | undefined;
declare const __MODELCAR_COMMIT__: string | undefined;

export const VERSION: string = typeof __MODELCAR_VERSION__ === 'string' ? __MODELCAR_VERSION__ : '0.1.0-dev';
export const COMMIT: string = typeof __MODELCAR_COMMIT__ === 'string' ? __MODELCAR_COMMIT__ : 'source';
