export * from './s3-local-server';
export * from './test-stack';
export * from './machine-services';
export * from './reliability';
export * from './nats-server-process';
export * from './tcp-proxy';
