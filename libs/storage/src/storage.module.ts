import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { AppConfig, Readiness, retryAtStart } from '@exports/platform';
import { ObjectStorage } from './object-storage';

/** Days past the file retention before the bucket's own rule removes an object the sweeper missed. */
const LIFECYCLE_MARGIN_DAYS = 1;

/**
 * Object storage for an app: the client from the config, its bucket created at start and its
 * lifecycle set, and a readiness probe. Needs `PlatformModule` (config, readiness).
 */
@Global()
@Module({})
export class StorageModule {
  static forApp(config: AppConfig): DynamicModule {
    return {
      module: StorageModule,
      providers: [
        {
          provide: ObjectStorage,
          useFactory: async (readiness: Readiness) => {
            const storage = new ObjectStorage({
              endpoint: config.S3_ENDPOINT,
              publicUrl: config.s3PublicUrl,
              accessKey: config.S3_ACCESS_KEY,
              secretKey: config.S3_SECRET_KEY,
              bucket: config.S3_BUCKET,
              region: config.S3_REGION,
              partSize: config.S3_PART_SIZE_MB * 1024 * 1024,
            });
            await retryAtStart('Object storage', () => storage.ensureBucket());
            await applyLifecycle(storage, config);
            readiness.register('storage', () => storage.ping());
            return storage;
          },
          inject: [Readiness],
        },
      ],
      exports: [ObjectStorage],
    };
  }
}

/**
 * The bucket's lifecycle, the safety net behind the sweeper: objects expire a day after the file
 * retention, unfinished multipart uploads are aborted after a day. A server without lifecycle
 * support (NotImplemented), or one that refuses it, is logged once and the app goes on.
 */
async function applyLifecycle(storage: ObjectStorage, config: AppConfig): Promise<void> {
  const logger = new Logger('ObjectStorage');
  const rules = { expireAfterDays: Math.ceil(config.EXPORT_RETENTION_SECONDS / 86_400) + LIFECYCLE_MARGIN_DAYS, abortIncompleteUploadsAfterDays: 1 };
  try {
    const outcome = await storage.applyLifecycle(rules);
    if (outcome === 'set') logger.log({ message: 'Bucket lifecycle set', bucket: storage.bucket, ...rules });
    else logger.log({ message: 'Bucket lifecycle not supported by the object storage; the sweeper alone removes files', bucket: storage.bucket });
  } catch (error) {
    logger.warn({ message: 'Bucket lifecycle could not be set; the sweeper alone removes files', bucket: storage.bucket, reason: (error as Error).message });
  }
}
