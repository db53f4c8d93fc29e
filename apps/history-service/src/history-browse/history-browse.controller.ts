import { Controller, Type, UseFilters } from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { anyAccount, BrowseMessageHistoryRequest, MessageHistoryPageDto, NatsNamespace, Subjects } from '@exports/contracts';
import { createPayloadPipe, requestAccount, RpcEnvelopeFilter } from '@exports/platform';
import { HistoryBrowseService } from './history-browse.service';

/**
 * The `history.browse.<accountId>` handler on the subjects of this deployment's namespace, which
 * is known only once the config is read: the controller class is made for it. The payload goes
 * through the same validation pipe as an HTTP body, and must name the subject's account.
 */
export function historyBrowseController(namespace: NatsNamespace): Type<unknown> {
  @Controller()
  @UseFilters(RpcEnvelopeFilter)
  class HistoryBrowseController {
    constructor(private readonly history: HistoryBrowseService) {}

    @MessagePattern(namespace.subject(anyAccount(Subjects.requests.historyBrowse)))
    browse(@Payload(createPayloadPipe()) request: BrowseMessageHistoryRequest, @Ctx() context: NatsContext): Promise<MessageHistoryPageDto> {
      requestAccount(context, namespace, request.accountId);
      return this.history.browse(request);
    }
  }
  return HistoryBrowseController;
}
