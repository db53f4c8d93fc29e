import { Controller, Type, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  CreateExportRpcRequest,
  DownloadLinkDto,
  EXPORT_REQUEST_CLASSES,
  ExportPageDto,
  ExportResourceDto,
  GetExportRpcRequest,
  ListExportsRpcRequest,
  NatsNamespace,
  Subjects,
} from '@exports/contracts';
import { checkPayload, createPayloadPipe, RpcEnvelopeFilter } from '@exports/platform';
import { ExportsService } from './exports.service';

/**
 * `exports.create`, `exports.get` and `exports.list` for internal services, on the
 * subjects of this deployment's namespace (known once the config is read, hence a
 * class made per namespace). Same validation, same use cases, same error envelope as HTTP;
 * the caller names the account it acts for.
 */
export function exportsRpcController(namespace: NatsNamespace): Type<unknown> {
  @Controller()
  @UseFilters(RpcEnvelopeFilter)
  class ExportsRpcController {
    constructor(private readonly exports: ExportsService) {}

    @MessagePattern(namespace.subject(Subjects.requests.exportsCreate))
    async create(@Payload(createPayloadPipe()) message: CreateExportRpcRequest): Promise<ExportResourceDto> {
      const request = checkPayload(EXPORT_REQUEST_CLASSES[message.type], message.request, 'request');
      return (await this.exports.createOnce(message.accountId, message.type, request, message.idempotencyKey)).resource;
    }

    @MessagePattern(namespace.subject(Subjects.requests.exportsGet))
    get(@Payload(createPayloadPipe()) message: GetExportRpcRequest): Promise<DownloadLinkDto> {
      return this.exports.link(message.accountId, message.exportId);
    }

    @MessagePattern(namespace.subject(Subjects.requests.exportsList))
    list(@Payload(createPayloadPipe()) message: ListExportsRpcRequest): Promise<ExportPageDto> {
      const { accountId, ...query } = message;
      return this.exports.list(accountId, query);
    }
  }
  return ExportsRpcController;
}
