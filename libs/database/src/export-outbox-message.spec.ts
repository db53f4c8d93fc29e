import { ExportType } from '@exports/contracts';
import { exportOutboxMessage } from './export-outbox-message';

const accountId = '0b7e2b9e-8e2c-4c39-9a0e-3b9f4b1c2d3e';
const exportId = '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a';

/** A row as `to_jsonb(exports)` writes it. */
function snapshot(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: exportId,
    account_id: accountId,
    type: ExportType.Contacts,
    status: 'COMPLETED',
    filters: { listIds: ['l-1'] },
    timezone: 'UTC',
    run: 2,
    attempts: 1,
    created_at: '2026-12-01T10:00:00.123456+00:00',
    updated_at: '2026-12-01T10:05:00+00:00',
    heartbeat_at: null,
    completed_at: '2026-12-01T10:05:00+00:00',
    link_expires_at: '2026-12-01T11:05:00+00:00',
    file_expires_at: '2026-12-08T10:05:00+00:00',
    file_purged_at: null,
    row_count: 1200,
    size_bytes: 48_000,
    sha256: 'ab'.repeat(32),
    file_name: 'contacts.csv',
    object_key: `${accountId}/${exportId}/2/contacts.csv`,
    rows_exported: 1200,
    error_code: null,
    error_message: null,
    idempotency_key: null,
    request_hash: null,
    ...overrides,
  };
}

describe('exportOutboxMessage', () => {
  it('makes a run entry the run request of its export type, for its account, with the run message id', () => {
    expect(exportOutboxMessage({ id: '41', kind: 'run', run: 2, snapshot: snapshot({ status: 'PENDING' }) })).toEqual({
      subject: `exports.requested.contacts.${accountId}`,
      payload: { exportId, accountId, type: ExportType.Contacts, run: 2 },
      messageId: `${exportId}.2.41`,
    });
  });

  it('makes a lifecycle entry the resource as of the change, even when its link has passed since', () => {
    const message = exportOutboxMessage({ id: '42', kind: 'completed', run: 2, snapshot: snapshot() });
    expect(message.subject).toBe(`exports.events.completed.${accountId}`);
    expect(message.messageId).toBe('event-42');
    // Read at updated_at (10:05), not now: COMPLETED, not EXPIRED, with its timestamps back as ISO text.
    expect(message.payload).toMatchObject({
      exportId,
      status: 'COMPLETED',
      isAvailableForDownload: true,
      createdAt: '2026-12-01T10:00:00.123Z',
      completedAt: '2026-12-01T10:05:00.000Z',
      linkExpiresAt: '2026-12-01T11:05:00.000Z',
      rowCount: 1200,
      sizeBytes: 48_000,
      fileName: 'contacts.csv',
    });
  });

  it('carries the error of a failed export', () => {
    const message = exportOutboxMessage({ id: '43', kind: 'failed', run: 1, snapshot: snapshot({ status: 'FAILED', error_code: 'TIMEOUT', error_message: 'gave up', completed_at: null, link_expires_at: null }) });
    expect(message.subject).toBe(`exports.events.failed.${accountId}`);
    expect(message.payload).toMatchObject({ status: 'FAILED', error: { code: 'TIMEOUT', message: 'gave up' } });
  });

  it('carries the download count and time as the change left them; a snapshot from before the audit reads as never downloaded', () => {
    const downloaded = exportOutboxMessage({ id: '44', kind: 'expired', run: 2, snapshot: snapshot({ status: 'EXPIRED', download_count: 3, last_downloaded_at: '2026-12-01T10:30:00.5+00:00' }) });
    expect(downloaded.payload).toMatchObject({ downloadCount: 3, lastDownloadedAt: '2026-12-01T10:30:00.500Z' });
    const older = exportOutboxMessage({ id: '45', kind: 'completed', run: 2, snapshot: snapshot() });
    expect(older.payload).toMatchObject({ downloadCount: 0, lastDownloadedAt: null });
  });
});
