import { Controller, Type, UseFilters } from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { anyAccount, EstimateExportRpcRequest, ExportEstimateDto, EXPORT_KINDS, NatsNamespace, Subjects } from '@exports/contracts';
import { checkPayload, createPayloadPipe, requestAccount, RpcEnvelopeFilter } from '@exports/platform';
import { ExportEstimatesService } from './export-estimates.service';

/**
 * `exports.estimate.<accountId>`: what `POST …/estimate` answers, for internal services, on the
 * subjects of this deployment's namespace. As for `exports.create`, the account is the subject's
 * and the payload's `accountId` must name it; `request` is checked by the type's class.
 */
export function exportEstimatesRpcController(namespace: NatsNamespace): Type<unknown> {
  @Controller()
  @UseFilters(RpcEnvelopeFilter)
  class ExportEstimatesRpcController {
    constructor(private readonly estimates: ExportEstimatesService) {}

    @MessagePattern(namespace.subject(anyAccount(Subjects.requests.exportsEstimate)))
    estimate(@Payload(createPayloadPipe()) message: EstimateExportRpcRequest, @Ctx() context: NatsContext): Promise<ExportEstimateDto> {
      const accountId = requestAccount(context, namespace, message.accountId);
      const request = checkPayload(EXPORT_KINDS[message.type].request, message.request, 'request');
      return this.estimates.estimate(accountId, message.type, request);
    }
  }
  return ExportEstimatesRpcController;
}
