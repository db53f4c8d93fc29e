import { Controller, Type, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { BrowseMessageHistoryRequest, MessageHistoryPageDto } from '@exports/contracts';
import { createPayloadPipe, RpcEnvelopeFilter } from '@exports/platform';
import { HistoryBrowseService } from './history-browse.service';

/**
 * The `history.browse` handler on the subject of this deployment's namespace, which is
 * known only once the config is read: the controller class is made for that subject.
 * The payload goes through the same validation pipe as an HTTP body.
 */
export function historyBrowseController(subject: string): Type<unknown> {
  @Controller()
  @UseFilters(RpcEnvelopeFilter)
  class HistoryBrowseController {
    constructor(private readonly history: HistoryBrowseService) {}

    @MessagePattern(subject)
    browse(@Payload(createPayloadPipe()) request: BrowseMessageHistoryRequest): Promise<MessageHistoryPageDto> {
      return this.history.browse(request);
    }
  }
  return HistoryBrowseController;
}
