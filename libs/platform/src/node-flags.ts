/**
 * Node flags of the apps that run exports (export-worker, history-service), wherever they are
 * started: docker-compose.yml (NODE_OPTIONS), `npm start`, the bench (docs/BENCHMARKS.md).
 * - A young generation of 2 MB semi-spaces (V8's default grows to 16 MB) is collected more
 *   often while an export streams, so the buffers of read chunks are returned at once: peak
 *   RSS about 50 MB lower, at no measured cost in export time.
 * - An old generation of at most 128 MB. The live heap stays near 35 MB whatever the volume
 *   (batches and exports stream), but with V8's default ceiling (a quarter of the machine's
 *   memory) the old generation was let grow to 3-4 times that before a full collection: a
 *   history-service that had ingested 100,000 events peaked at 222 MB. Under a small ceiling
 *   V8 grows the heap in smaller steps; the same process peaks near 120 MB.
 */
export const EXPORT_APP_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--max-old-space-size=128'];

/** The flags `app` runs with: the gateway keeps V8's defaults. */
export function nodeFlagsOf(app: string): readonly string[] {
  return app === 'export-worker' || app === 'history-service' ? EXPORT_APP_NODE_FLAGS : [];
}
