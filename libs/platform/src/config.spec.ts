import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/exports',
      NATS_URL: 'nats://127.0.0.1:4222',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_BUCKET: 'exports',
      PORT: 3000,
      EXPORT_LINK_TTL_SECONDS: 3600,
      EXPORT_RETENTION_SECONDS: 604800,
      EXPORT_MAX_ATTEMPTS: 3,
      EXPORT_MAX_OPEN_PER_ACCOUNT: 5,
      INGEST_RETRY_BASE_MS: 1000,
      INGEST_RETRY_MAX_MS: 60_000,
    });
    expect(config.s3PublicUrl).toBe('http://127.0.0.1:9000');
  });

  it('reads numbers and the public URL from the environment', () => {
    const config = loadConfig({ PORT: '8080', EXPORT_MAX_ATTEMPTS: '5', S3_PUBLIC_URL: 'https://files.example.com' });
    expect(config.PORT).toBe(8080);
    expect(config.EXPORT_MAX_ATTEMPTS).toBe(5);
    expect(config.s3PublicUrl).toBe('https://files.example.com');
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['NATS_URL', 'localhost:4222'],
    ['S3_ENDPOINT', 'not a url'],
    ['S3_BUCKET', 'Bad_Bucket'],
    ['EXPORT_MAX_ATTEMPTS', '0'],
    ['EXPORT_LINK_TTL_SECONDS', '-5'],
    ['LOG_LEVEL', 'chatty'],
    ['NATS_NAMESPACE', 'a.b'],
    ['INGEST_RETRY_BASE_MS', '0'],
    ['INGEST_RETRY_MAX_MS', 'a minute'],
  ])('stops on a bad %s (%s), naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('never echoes a secret', () => {
    try {
      loadConfig({ S3_SECRET_KEY: 'has space' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect((error as Error).message).toContain('S3_SECRET_KEY');
      expect((error as Error).message).not.toContain('has space');
    }
  });

  it('reads the ingestion backoff, and refuses a cap below the base', () => {
    expect(loadConfig({ INGEST_RETRY_BASE_MS: '100', INGEST_RETRY_MAX_MS: '1000' })).toMatchObject({ INGEST_RETRY_BASE_MS: 100, INGEST_RETRY_MAX_MS: 1000 });
    expect(() => loadConfig({ INGEST_RETRY_BASE_MS: '5000', INGEST_RETRY_MAX_MS: '1000' })).toThrow(/INGEST_RETRY_MAX_MS: must be at least INGEST_RETRY_BASE_MS/);
  });

  it('refuses links that would outlive their files', () => {
    expect(() => loadConfig({ EXPORT_LINK_TTL_SECONDS: '7200', EXPORT_RETENTION_SECONDS: '3600' })).toThrow(/EXPORT_RETENTION_SECONDS/);
  });
});
