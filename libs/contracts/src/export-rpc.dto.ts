import { IsEnum, IsObject, IsOptional, IsUUID, Matches } from 'class-validator';
import { ExportType } from './enums';
import { ListExportDownloadsQueryDto } from './export-downloads.dto';
import { ListExportsQueryDto } from './export-resource.dto';

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** `exports.estimate`: what `POST …/estimate` answers for the body of an export request, for `accountId`. */
export class EstimateExportRpcRequest {
  @IsUUID()
  accountId!: string;

  @IsEnum(ExportType)
  type!: ExportType;

  /** The body the matching HTTP route takes; validated with that route's class. */
  @IsObject()
  request!: Record<string, unknown>;
}

/** `exports.create`: what `POST /exports/...` takes, for a service acting for `accountId`. */
export class CreateExportRpcRequest extends EstimateExportRpcRequest {
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

/** `exports.cancel`: what `POST /exports/{exportId}/cancel` answers, for `accountId`. */
export class CancelExportRpcRequest extends GetExportRpcRequest {}

/** `exports.list`: what `GET /exports` answers, for `accountId`. */
export class ListExportsRpcRequest extends ListExportsQueryDto {
  @IsUUID()
  accountId!: string;
}

/** `exports.downloads`: what `GET /exports/{exportId}/downloads` answers, for `accountId`. */
export class ListExportDownloadsRpcRequest extends ListExportDownloadsQueryDto {
  @IsUUID()
  accountId!: string;

  @IsUUID()
  exportId!: string;
}
