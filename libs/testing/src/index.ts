export * from './s3-local-server';
export * from './test-stack';
