import { ClassConstructor } from 'class-transformer';
import { IsEnum, IsObject, IsOptional, IsUUID, Matches } from 'class-validator';
import { ExportType } from './enums';
import { CreateContactsExportDto, CreateDeliveryReportsExportDto, CreateMessageHistoryExportDto, ExportRequestBase } from './export-requests.dto';
import { ListExportsQueryDto } from './export-resource.dto';
import { deliveryReportsExportViolations, messageHistoryExportViolations, RuleViolation } from './request-rules';

/** The body class of each export type's request (HTTP body, or `request` of `exports.create`). */
export const EXPORT_REQUEST_CLASSES: Record<ExportType, ClassConstructor<ExportRequestBase>> = {
  [ExportType.Contacts]: CreateContactsExportDto,
  [ExportType.DeliveryReports]: CreateDeliveryReportsExportDto,
  [ExportType.MessageHistory]: CreateMessageHistoryExportDto,
};

/** The rules across fields of each export type's request, with the configured range limit. */
export function exportRequestViolations(type: ExportType, request: ExportRequestBase, maxRangeDays: number): RuleViolation[] {
  switch (type) {
    case ExportType.DeliveryReports:
      return deliveryReportsExportViolations(request as CreateDeliveryReportsExportDto, maxRangeDays);
    case ExportType.MessageHistory:
      return messageHistoryExportViolations(request as CreateMessageHistoryExportDto, maxRangeDays);
    default:
      return [];
  }
}

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** `exports.create`: what `POST /exports/...` takes, for a service acting for `accountId`. */
export class CreateExportRpcRequest {
  @IsUUID()
  accountId!: string;

  @IsEnum(ExportType)
  type!: ExportType;

  /** The body the matching HTTP route takes; validated with that route's class. */
  @IsObject()
  request!: Record<string, unknown>;

  @IsOptional()
  @Matches(IDEMPOTENCY_KEY_PATTERN, { message: 'idempotencyKey must be 1-255 visible ASCII characters' })
  idempotencyKey?: string;
}

/** `exports.get`: what `GET /exports/{exportId}` answers (a download link), for `accountId`. */
export class GetExportRpcRequest {
  @IsUUID()
  accountId!: string;

  @IsUUID()
  exportId!: string;
}

/** `exports.list`: what `GET /exports` answers, for `accountId`. */
export class ListExportsRpcRequest extends ListExportsQueryDto {
  @IsUUID()
  accountId!: string;
}
