import { Injectable } from '@nestjs/common';
import {
  CreateDeliveryReportsExportDto,
  CreateMessageHistoryExportDto,
  deliveryReportsExportViolations,
  describeViolations,
  ExportResourceDto,
  ExportType,
  messageHistoryExportViolations,
  RuleViolation,
} from '@exports/contracts';
import { AppConfig, DomainError, ErrorCode } from '@exports/platform';
import { ExportsService } from '../exports/exports.service';

/** The export, and whether it was made by an earlier request with the same Idempotency-Key. */
export interface CreatedExport {
  resource: ExportResourceDto;
  replayed: boolean;
}

/** Delivery-report and message-history exports: the rules across fields, then the common registration. */
@Injectable()
export class MessageExportsService {
  constructor(
    private readonly exports: ExportsService,
    private readonly config: AppConfig,
  ) {}

  createDeliveryReports(accountId: string, request: CreateDeliveryReportsExportDto, idempotencyKey?: string): Promise<CreatedExport> {
    this.check(deliveryReportsExportViolations(request, this.config.EXPORT_MAX_RANGE_DAYS));
    return this.exports.createOnce(accountId, ExportType.DeliveryReports, request, idempotencyKey);
  }

  createMessageHistory(accountId: string, request: CreateMessageHistoryExportDto, idempotencyKey?: string): Promise<CreatedExport> {
    this.check(messageHistoryExportViolations(request, this.config.EXPORT_MAX_RANGE_DAYS));
    return this.exports.createOnce(accountId, ExportType.MessageHistory, request, idempotencyKey);
  }

  private check(violations: RuleViolation[]): void {
    if (violations.length) throw new DomainError(ErrorCode.Validation, describeViolations(violations), violations);
  }
}
