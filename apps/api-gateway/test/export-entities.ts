import { randomUUID } from 'node:crypto';
import { ExportFormat, ExportStatus, ExportType } from '@exports/contracts';
import { ExportEntity } from '@exports/database';
import { DomainError } from '@exports/platform';

/** An export as the registry holds it, for the unit specs: a new PENDING contacts export of `accountId`, with `fields` over it. */
export function exportEntity(accountId: string, fields: Partial<ExportEntity>): ExportEntity {
  const now = new Date();
  return Object.assign(new ExportEntity(), {
    id: randomUUID(),
    accountId,
    type: ExportType.Contacts,
    status: ExportStatus.Pending,
    filters: {},
    timezone: 'UTC',
    format: ExportFormat.Csv,
    columns: null,
    maxRowsPerFile: 1_000_000,
    files: null,
    run: 1,
    attempts: 0,
    createdAt: now,
    updatedAt: now,
    heartbeatAt: null,
    completedAt: null,
    cancelledAt: null,
    linkExpiresAt: null,
    fileExpiresAt: null,
    filePurgedAt: null,
    rowCount: null,
    sizeBytes: null,
    sha256: null,
    fileName: null,
    objectKey: null,
    rowsExported: 0,
    errorCode: null,
    errorMessage: null,
    idempotencyKey: null,
    requestHash: null,
    downloadCount: 0,
    lastDownloadedAt: null,
    ...fields,
  });
}

/** The DomainError `promise` rejects with; anything else fails the spec. */
export async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(error)}`);
  return error;
}
