import { JsonLogger } from './json-logger';

describe('JsonLogger', () => {
  const capture = (level = 'log') => {
    const lines: Record<string, unknown>[] = [];
    return { lines, logger: new JsonLogger('api-gateway', level, (line) => lines.push(JSON.parse(line))) };
  };

  it('writes one JSON object per line with level, app, context and fields', () => {
    const { lines, logger } = capture();
    logger.log({ message: 'Export requested', exportId: 'e1', accountId: 'a1' }, 'ExportsService');
    expect(lines[0]).toMatchObject({ level: 'log', app: 'api-gateway', context: 'ExportsService', message: 'Export requested', exportId: 'e1', accountId: 'a1' });
  });

  it('honours the level', () => {
    const { lines, logger } = capture('warn');
    logger.log('hidden');
    logger.debug('hidden');
    logger.warn('shown');
    expect(lines.map((l) => l.message)).toEqual(['shown']);
  });

  it('redacts keys, bodies and links', () => {
    const { lines, logger } = capture();
    logger.log({ message: 'x', apiKey: 'exk_secret', body: 'hello', downloadUrl: 'http://signed', 'x-api-key': 'k' });
    expect(JSON.stringify(lines[0])).not.toMatch(/exk_secret|hello|signed|"k"/);
  });
});
