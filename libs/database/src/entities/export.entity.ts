import { Column, Entity, PrimaryColumn } from 'typeorm';
import { ExportErrorCode, ExportFormat, ExportStatus, ExportType } from '@exports/contracts';

const bigint = { type: 'bigint' as const, transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) } };

/** One file a completed run wrote: the only one, or one part. */
export interface StoredExportFile {
  part: number;
  fileName: string;
  objectKey: string;
  rowCount: number;
  sizeBytes: number;
  sha256: string;
}

@Entity({ name: 'exports' })
export class ExportEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @Column({ type: 'text' })
  type!: ExportType;

  /** As last written; read it through `effectiveStatus` (EXPIRED is a fact of time). */
  @Column({ type: 'text' })
  status!: ExportStatus;

  @Column({ type: 'jsonb' })
  filters!: Record<string, unknown>;

  @Column({ type: 'text', default: 'UTC' })
  timezone!: string;

  @Column({ type: 'text', default: 'csv' })
  format!: ExportFormat;

  /** The requested columns in their order; null for every documented column. */
  @Column({ type: 'text', array: true, nullable: true })
  columns!: string[] | null;

  @Column({ name: 'max_rows_per_file', type: 'int', default: 1_000_000 })
  maxRowsPerFile!: number;

  /** The files of the completed run, in row order; null before any run completed (and for exports completed before parts existed). */
  @Column({ type: 'jsonb', nullable: true })
  files!: StoredExportFile[] | null;

  /** 1 for the first run; a re-run (regenerate after purge, retry after failure) adds one. */
  @Column({ type: 'int', default: 1 })
  run!: number;

  /** Attempts started in the current run. */
  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'heartbeat_at', type: 'timestamptz', nullable: true })
  heartbeatAt!: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  /** Set by a cancel, cleared by the run that follows it. */
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt!: Date | null;

  @Column({ name: 'link_expires_at', type: 'timestamptz', nullable: true })
  linkExpiresAt!: Date | null;

  @Column({ name: 'file_expires_at', type: 'timestamptz', nullable: true })
  fileExpiresAt!: Date | null;

  /** Set when retention removed the file; a regenerate then re-runs the export. */
  @Column({ name: 'file_purged_at', type: 'timestamptz', nullable: true })
  filePurgedAt!: Date | null;

  @Column({ name: 'row_count', nullable: true, ...bigint })
  rowCount!: number | null;

  @Column({ name: 'size_bytes', nullable: true, ...bigint })
  sizeBytes!: number | null;

  @Column({ type: 'text', nullable: true })
  sha256!: string | null;

  @Column({ name: 'file_name', type: 'text', nullable: true })
  fileName!: string | null;

  @Column({ name: 'object_key', type: 'text', nullable: true })
  objectKey!: string | null;

  @Column({ name: 'rows_exported', default: 0, ...bigint })
  rowsExported!: number;

  @Column({ name: 'error_code', type: 'text', nullable: true })
  errorCode!: ExportErrorCode | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey!: string | null;

  @Column({ name: 'request_hash', type: 'text', nullable: true })
  requestHash!: string | null;

  /** Downloads recorded by `GET /exports/{exportId}/download` (every run), written with each record. */
  @Column({ name: 'download_count', type: 'int', default: 0 })
  downloadCount!: number;

  @Column({ name: 'last_downloaded_at', type: 'timestamptz', nullable: true })
  lastDownloadedAt!: Date | null;
}
