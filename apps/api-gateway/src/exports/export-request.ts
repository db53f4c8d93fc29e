import { describeViolations, exportOutputOf, exportRequestViolations, ExportRequestBase, ExportType, resolveDateRange } from '@exports/contracts';
import { NewExport } from '@exports/database';
import { DomainError, ErrorCode } from '@exports/platform';

/** An export request as the export would keep it: its filters, its time zone and its file options. */
export type ResolvedExportRequest = Omit<NewExport, 'idempotencyKey' | 'requestHash'>;

/**
 * The request of an export of `type`, validated by its DTO, with the rules across fields checked
 * (400 naming the fields otherwise) and split as an export keeps it. Registering and estimating
 * an export read the same request the same way.
 */
export function resolveExportRequest(type: ExportType, asked: ExportRequestBase, maxRangeDays: number): ResolvedExportRequest {
  // Date-only bounds are stored as the instants they stand for, so every run and every reader sees one range.
  const request = resolveDateRange(asked as ExportRequestBase & { startDateTime?: string; endDateTime?: string }, ['startDateTime', 'endDateTime'], asked.timezone);
  const violations = exportRequestViolations(type, request, maxRangeDays);
  if (violations.length) throw new DomainError(ErrorCode.Validation, describeViolations(violations), violations);
  const { timezone, format, columns, maxRowsPerFile, ...filters } = request;
  return { type, filters: dropUndefined(filters), timezone: timezone ?? 'UTC', output: exportOutputOf({ format, columns, maxRowsPerFile }) };
}

function dropUndefined(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
