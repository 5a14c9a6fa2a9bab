// swagger-ui-dist ships no types. api-reference.ts imports only the module that names the
// package's folder (the main module would load the browser bundle into Node).
declare module 'swagger-ui-dist/absolute-path.js' {
  /** The absolute path of the installed swagger-ui-dist folder. */
  function getAbsoluteFSPath(): string;
  export = getAbsoluteFSPath;
}
