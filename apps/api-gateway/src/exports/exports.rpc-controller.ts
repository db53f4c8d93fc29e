import { Controller, Type, UseFilters } from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import {
  anyAccount,
  CancelExportRpcRequest,
  CreateExportRpcRequest,
  ExportDetailDto,
  ExportDownloadPageDto,
  EXPORT_KINDS,
  ExportPageDto,
  ExportResourceDto,
  GetExportRpcRequest,
  ListExportDownloadsRpcRequest,
  ListExportsRpcRequest,
  NatsNamespace,
  Subjects,
} from '@exports/contracts';
import { checkPayload, createPayloadPipe, requestAccount, RpcEnvelopeFilter } from '@exports/platform';
import { ExportCancelService } from './export-cancel.service';
import { ExportDownloadsService } from './export-downloads.service';
import { ExportsService } from './exports.service';

/**
 * `exports.create.<accountId>`, `exports.get.<accountId>`, `exports.list.<accountId>`, `exports.cancel.<accountId>` and
 * `exports.downloads.<accountId>` for
 * internal services, on the subjects of this deployment's namespace (known once the config is
 * read, hence a class made per namespace). Same validation, same use cases, same error envelope
 * as HTTP. The account is the subject's, which NATS permissions grant per caller; the payload's
 * `accountId` must name the same one.
 */
export function exportsRpcController(namespace: NatsNamespace): Type<unknown> {
  @Controller()
  @UseFilters(RpcEnvelopeFilter)
  class ExportsRpcController {
    constructor(
      private readonly exports: ExportsService,
      private readonly cancels: ExportCancelService,
      private readonly downloads: ExportDownloadsService,
    ) {}

    @MessagePattern(namespace.subject(anyAccount(Subjects.requests.exportsCreate)))
    async create(@Payload(createPayloadPipe()) message: CreateExportRpcRequest, @Ctx() context: NatsContext): Promise<ExportResourceDto> {
      const accountId = requestAccount(context, namespace, message.accountId);
      const request = checkPayload(EXPORT_KINDS[message.type].request, message.request, 'request');
      return (await this.exports.createOnce(accountId, message.type, request, message.idempotencyKey)).resource;
    }

    @MessagePattern(namespace.subject(anyAccount(Subjects.requests.exportsGet)))
    get(@Payload(createPayloadPipe()) message: GetExportRpcRequest, @Ctx() context: NatsContext): Promise<ExportDetailDto> {
      return this.exports.get(requestAccount(context, namespace, message.accountId), message.exportId);
    }

    @MessagePattern(namespace.subject(anyAccount(Subjects.requests.exportsList)))
    list(@Payload(createPayloadPipe()) message: ListExportsRpcRequest, @Ctx() context: NatsContext): Promise<ExportPageDto> {
      const { accountId, ...query } = message;
      return this.exports.list(requestAccount(context, namespace, accountId), query);
    }

    @MessagePattern(namespace.subject(anyAccount(Subjects.requests.exportsCancel)))
    cancel(@Payload(createPayloadPipe()) message: CancelExportRpcRequest, @Ctx() context: NatsContext): Promise<ExportResourceDto> {
      return this.cancels.cancel(requestAccount(context, namespace, message.accountId), message.exportId);
    }

    @MessagePattern(namespace.subject(anyAccount(Subjects.requests.exportsDownloads)))
    listDownloads(@Payload(createPayloadPipe()) message: ListExportDownloadsRpcRequest, @Ctx() context: NatsContext): Promise<ExportDownloadPageDto> {
      const { accountId, exportId, ...query } = message;
      return this.downloads.list(requestAccount(context, namespace, accountId), exportId, query);
    }
  }
  return ExportsRpcController;
}
