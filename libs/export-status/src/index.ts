export * from './export-status';
