import { ApiProperty } from '@nestjs/swagger';
import { ExportFormat } from './export-output';

/** What an export request would produce, told before it is registered: `POST …/estimate` and `exports.estimate`. */
export class ExportEstimateDto {
  @ApiProperty({ example: 2500000, description: 'Rows the export would write: counted when `exact`, otherwise the database planner\'s estimate' })
  rowCount!: number;

  @ApiProperty({ example: false, description: 'True when `rowCount` was counted row by row; false when it is the planner\'s estimate (too many rows to count in time)' })
  exact!: boolean;

  @ApiProperty({ example: 93296088, description: 'Estimated bytes of the export, every file together, as stored (compressed for a .gz format)' })
  sizeBytes!: number;

  @ApiProperty({ example: 3, description: 'Files the export would be written as: rowCount / maxRowsPerFile, rounded up, at least 1' })
  parts!: number;

  @ApiProperty({ enum: ExportFormat, example: ExportFormat.CsvGzip, description: 'The format asked for (csv when absent)' })
  format!: ExportFormat;
}
