export * from './seed-demo';
export * from './demo-data';
export * from './progress-bar';
