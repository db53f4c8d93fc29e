import { Inject, Injectable, Logger } from '@nestjs/common';
import { ExportEstimateDto, ExportRequestBase, ExportType } from '@exports/contracts';
import { EXPORT_SOURCES, SourceRecord } from '@exports/export-files';
import { AppConfig } from '@exports/platform';
import { resolveExportRequest } from '../exports/export-request';
import { ExportRowsRepository } from './export-rows.repository';
import { estimatedSizeBytes, partCount } from './export-size';

/** What the estimate needs of the database: the app injects the repository, the unit spec a fake. */
export type RowSource = Pick<ExportRowsRepository, 'planned' | 'counted'>;

/** Pre-flight estimates: what an export request would produce, told without registering it. */
@Injectable()
export class ExportEstimatesService {
  private readonly logger = new Logger(ExportEstimatesService.name);

  constructor(
    @Inject(ExportRowsRepository) private readonly rows: RowSource,
    private readonly config: AppConfig,
  ) {}

  /** The request is read exactly as registering it would (same 400s); nothing is written. */
  async estimate(accountId: string, type: ExportType, asked: ExportRequestBase): Promise<ExportEstimateDto> {
    const { filters, output } = resolveExportRequest(type, asked, this.config.EXPORT_MAX_RANGE_DAYS);
    const { rowCount, exact } = await this.rowCount(type, { accountId, filters, columns: output.columns });
    return { rowCount, exact, sizeBytes: estimatedSizeBytes(type, output, rowCount), parts: partCount(rowCount, output.maxRowsPerFile), format: output.format };
  }

  /**
   * The count when the planner expects at most EXPORT_ESTIMATE_EXACT_MAX_ROWS and the count ends
   * within EXPORT_ESTIMATE_TIMEOUT_MS; the planner's estimate otherwise, at the cost of an EXPLAIN.
   */
  private async rowCount(type: ExportType, record: SourceRecord): Promise<{ rowCount: number; exact: boolean }> {
    const source = EXPORT_SOURCES[type];
    const planned = await this.rows.planned(source, record);
    if (planned > this.config.EXPORT_ESTIMATE_EXACT_MAX_ROWS) return { rowCount: planned, exact: false };
    const counted = await this.rows.counted(source, record, this.config.EXPORT_ESTIMATE_TIMEOUT_MS);
    if (counted !== undefined) return { rowCount: counted, exact: true };
    this.logger.log({ message: 'Row count stopped at EXPORT_ESTIMATE_TIMEOUT_MS; the planner estimate answered', accountId: record.accountId, type, plannedRows: planned });
    return { rowCount: planned, exact: false };
  }
}
