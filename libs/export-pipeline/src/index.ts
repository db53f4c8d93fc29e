export * from './failure';
export * from './export-runner';
export * from './export-consumer';
export * from './export-pipeline.module';
export * from './export-sweeper';
