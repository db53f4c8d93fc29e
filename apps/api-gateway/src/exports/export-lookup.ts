import { ExportEntity, ExportsRepository } from '@exports/database';
import { DomainError, ErrorCode } from '@exports/platform';

/** The account's export, or the 404 every export route answers for an unknown id (another account's reads the same). */
export async function findExport(exports: Pick<ExportsRepository, 'findOne'>, accountId: string, exportId: string): Promise<ExportEntity> {
  const record = await exports.findOne(accountId, exportId);
  if (!record) throw exportNotFound(exportId);
  return record;
}

export function exportNotFound(exportId: string): DomainError {
  return new DomainError(ErrorCode.NotFound, `Export ${exportId} was not found`);
}

/** The 409 of a write that found the export moved on since it was read (a concurrent request, the sweeper). */
export function exportChanged(): DomainError {
  return new DomainError(ErrorCode.ExportChanged, 'The export changed while the request was handled; read it again');
}
