export * from './enums';
export * from './subjects';
export * from './validators';
export * from './export-requests.dto';
export * from './export-resource.dto';
export * from './errors.dto';
export * from './export-events';
export * from './platform-events';
