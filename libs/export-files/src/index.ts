export * from './file-naming';
export * from './csv-sql';
export * from './export-source';
export * from './sources';
export * from './record-scanner';
export * from './byte-meter';
