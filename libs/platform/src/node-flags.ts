/**
 * Node flags of the apps that run exports (export-worker, history-service), wherever they are
 * started: docker-compose.yml (`command`), `npm start`, the bench (docs/BENCHMARKS.md).
 * - A young generation of 2 MB semi-spaces (V8's default grows to 16 MB) is collected more
 *   often while an export streams, so the buffers of read chunks are returned at once: peak
 *   RSS about 50 MB lower, at no measured cost in export time.
 * - The old generation grows by 30% of its live size between full collections
 *   (`--heap-growing-percent=30`). The live heap stays near 35 MB whatever the volume (batches
 *   and exports stream), but V8's own factor (up to 4x) let garbage pile up: a history-service
 *   that had ingested 100,000 events peaked at 222 MB. A ceiling (`--max-old-space-size=128`)
 *   bounded it too, but any ceiling under 256 MB puts V8 in its low-memory mode: small exports
 *   drained 30% slower and ingestion 10-15% slower. With 50% the process that ingested
 *   1,000,000 events, then exported them, peaked at 146-150 MB; with 30%, 143 MB.
 *   (It is a V8 option that NODE_OPTIONS refuses: it goes on the command line.)
 */
export const EXPORT_APP_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--heap-growing-percent=30'];

/** The flags `app` runs with: the gateway keeps V8's defaults. */
export function nodeFlagsOf(app: string): readonly string[] {
  return app === 'export-worker' || app === 'history-service' ? EXPORT_APP_NODE_FLAGS : [];
}
