export * from './file-naming';
export * from './csv-sql';
export * from './csv-meter';
