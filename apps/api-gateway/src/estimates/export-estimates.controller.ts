import { applyDecorators, Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CreateContactsExportDto, CreateDeliveryReportsExportDto, CreateMessageHistoryExportDto, ErrorCode, ExportEstimateDto, ExportType } from '@exports/contracts';
import { AccountId } from '../auth/account-id.decorator';
import { ApiErrors, KEYED } from '../docs/api-errors.decorator';
import { ExportEstimatesService } from './export-estimates.service';

const HOW =
  'Takes the body of the matching create route, checked by the same rules, and registers nothing. `rowCount` is counted when the ' +
  'planner expects at most EXPORT_ESTIMATE_EXACT_MAX_ROWS rows and the count ends within EXPORT_ESTIMATE_TIMEOUT_MS (`exact: true`), ' +
  "otherwise it is the planner's estimate (`exact: false`); `sizeBytes` is rowCount times the measured average row of the type, " +
  'columns and format; `parts` the files it would be written as.';

/** What every estimate route answers and documents: 200 with the estimate, the create route's 400s. */
function EstimateExportRoute(summary: string): MethodDecorator {
  return applyDecorators(
    HttpCode(200),
    ApiOperation({ summary, description: HOW }),
    ApiOkResponse({ type: ExportEstimateDto, description: 'What the export would produce; no export is registered' }),
    ApiErrors(ErrorCode.Validation, ErrorCode.PayloadTooLarge, ErrorCode.UnsupportedMediaType, ...KEYED),
  );
}

/** `POST /exports/{type}/estimate` beside each create route: the rows, bytes and files an export would make, before it is asked for. */
@ApiTags('exports')
@ApiSecurity('apiKey')
@Controller('exports')
export class ExportEstimatesController {
  constructor(private readonly estimates: ExportEstimatesService) {}

  @Post('contacts/estimate')
  @EstimateExportRoute('Estimate a contacts export')
  contacts(@AccountId() accountId: string, @Body() body: CreateContactsExportDto): Promise<ExportEstimateDto> {
    return this.estimates.estimate(accountId, ExportType.Contacts, body);
  }

  @Post('delivery-reports/estimate')
  @EstimateExportRoute('Estimate a delivery-reports export')
  deliveryReports(@AccountId() accountId: string, @Body() body: CreateDeliveryReportsExportDto): Promise<ExportEstimateDto> {
    return this.estimates.estimate(accountId, ExportType.DeliveryReports, body);
  }
}

/** `POST /messages/history/export/estimate`, beside the message-history export. */
@ApiTags('message history')
@ApiSecurity('apiKey')
@Controller('messages/history')
export class MessageHistoryEstimateController {
  constructor(private readonly estimates: ExportEstimatesService) {}

  @Post('export/estimate')
  @EstimateExportRoute('Estimate a message-history export')
  messageHistory(@AccountId() accountId: string, @Body() body: CreateMessageHistoryExportDto): Promise<ExportEstimateDto> {
    return this.estimates.estimate(accountId, ExportType.MessageHistory, body);
  }
}
