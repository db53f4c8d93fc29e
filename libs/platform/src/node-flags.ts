/**
 * Node flags of the apps that run exports (export-worker, history-service), wherever they are
 * started: docker-compose.yml (NODE_OPTIONS), `npm start`, the bench. A young generation of
 * 2 MB semi-spaces (V8's default grows to 16 MB) is collected more often while an export
 * streams, so the buffers of read chunks are returned at once: peak RSS about 50 MB lower, at
 * no measured cost in export time (docs/BENCHMARKS.md).
 */
export const EXPORT_APP_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/** The flags `app` runs with: the gateway keeps V8's defaults. */
export function nodeFlagsOf(app: string): readonly string[] {
  return app === 'export-worker' || app === 'history-service' ? EXPORT_APP_NODE_FLAGS : [];
}
