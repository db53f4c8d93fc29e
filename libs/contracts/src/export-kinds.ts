import { ClassConstructor } from 'class-transformer';
import { ExportType } from './enums';
import { columnViolations } from './export-output';
import { CreateContactsExportDto, CreateDeliveryReportsExportDto, CreateMessageHistoryExportDto, ExportRequestBase } from './export-requests.dto';
import { deliveryReportsExportViolations, messageHistoryExportViolations, RuleViolation } from './request-rules';

/** What the contract says of one export type, beyond its name: read by HTTP, NATS and the worker alike. */
export interface ExportKind {
  /** The request body over HTTP, and `request` of `exports.create`. */
  request: ClassConstructor<ExportRequestBase>;
  /** Rules across fields (date ranges against the configured limit), given a request of `request`'s class. */
  violations?: (request: ExportRequestBase, maxRangeDays: number) => RuleViolation[];
}

/** One entry per export type: a new type adds its entry here, next to its DTO. */
export const EXPORT_KINDS: Record<ExportType, ExportKind> = {
  [ExportType.Contacts]: { request: CreateContactsExportDto },
  [ExportType.DeliveryReports]: {
    request: CreateDeliveryReportsExportDto,
    violations: (request, maxRangeDays) => deliveryReportsExportViolations(request as CreateDeliveryReportsExportDto, maxRangeDays),
  },
  [ExportType.MessageHistory]: {
    request: CreateMessageHistoryExportDto,
    violations: (request, maxRangeDays) => messageHistoryExportViolations(request as CreateMessageHistoryExportDto, maxRangeDays),
  },
};

/** `DELIVERY_REPORTS` → `delivery-reports`: the type in subjects, consumer names and file names. */
export function exportSlug(type: ExportType): string {
  return type.toLowerCase().replace(/_/g, '-');
}

/** The rules across fields of an export type's request, with the configured range limit, and its columns against the type's. */
export function exportRequestViolations(type: ExportType, request: ExportRequestBase, maxRangeDays: number): RuleViolation[] {
  return [...(EXPORT_KINDS[type].violations?.(request, maxRangeDays) ?? []), ...columnViolations(type, request.columns)];
}
