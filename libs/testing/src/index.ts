export * from './s3-local-server';
export * from './test-stack';
export * from './reliability';
export * from './nats-server-process';
export * from './tcp-proxy';
export * from './app-process';
export * from './export-download';
export * from './export-cancel';
