import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ExportResourceDto } from '@exports/contracts';
import { ErrorCode } from '@exports/platform';
import { AccountId } from '../auth/account-id.decorator';
import { ApiErrors, KEYED } from '../docs/api-errors.decorator';
import { ExportCancelService } from './export-cancel.service';
import { ApiExportId, exportIdPipe } from './exports.controller';

@ApiTags('exports')
@ApiSecurity('apiKey')
@Controller('exports')
export class ExportCancelController {
  constructor(private readonly cancels: ExportCancelService) {}

  @Post(':exportId/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel an export',
    description:
      'Stops a PENDING export: it becomes CANCELLED at once (and frees its place among the unfinished exports of the account), a run in ' +
      'progress stops within seconds and leaves no file, and an `exports.events.cancelled` event goes out. Any other state is a 409 ' +
      '(`EXPORT_NOT_CANCELLABLE`). `POST /exports/{exportId}` runs a CANCELLED export again.',
  })
  @ApiExportId()
  @ApiOkResponse({ type: ExportResourceDto, description: 'The export, CANCELLED, with `cancelledAt`' })
  @ApiErrors(ErrorCode.Validation, ErrorCode.NotFound, ErrorCode.ExportNotCancellable, ...KEYED)
  cancel(@AccountId() accountId: string, @Param('exportId', exportIdPipe) exportId: string): Promise<ExportResourceDto> {
    return this.cancels.cancel(accountId, exportId);
  }
}
