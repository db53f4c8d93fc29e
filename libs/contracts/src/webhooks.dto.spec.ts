import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CreateWebhookDto, WEBHOOK_URL_MAX_LENGTH, webhookEventTypeOf, WebhookEventType, webhookUrlProblem } from './webhooks.dto';

const badFields = (plain: Record<string, unknown>) =>
  validateSync(plainToInstance(CreateWebhookDto, plain), { whitelist: true, forbidNonWhitelisted: true }).map((error) => error.property).sort();

describe('webhookUrlProblem', () => {
  it('accepts an https URL, with a port, path and query', () => {
    expect(webhookUrlProblem('https://example.com/hooks?x=1', false)).toBeUndefined();
    expect(webhookUrlProblem('https://hooks.example.com:8443/a', false)).toBeUndefined();
  });

  it('refuses plain http unless insecure URLs are allowed', () => {
    expect(webhookUrlProblem('http://example.com/hooks', false)).toBe('url must be an https URL');
    expect(webhookUrlProblem('http://127.0.0.1:8080/hooks', true)).toBeUndefined();
  });

  it.each([
    ['ftp://example.com/x', 'url must be an https URL'],
    ['file:///etc/passwd', 'url must be an https URL'],
    ['example.com/hooks', 'url must be an absolute URL'],
    ['', 'url must be an absolute URL'],
    ['https://user:pass@example.com/', 'url must not carry a user name or password'],
    ['https://user@example.com/', 'url must not carry a user name or password'],
    [`https://example.com/${'a'.repeat(WEBHOOK_URL_MAX_LENGTH)}`, `url must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`],
    // `new URL` parses these; PostgreSQL refuses the NUL.
    ['https://hooks.example.com/a\u0000b', 'url must be text without control characters'],
    ['https://hooks.example.com/a\tb', 'url must be text without control characters'],
    ['https://hooks.example.com/a\ud800b', 'url must be text without control characters (such as NUL) or unpaired surrogates'],
  ])('refuses %j', (url, problem) => {
    expect(webhookUrlProblem(url, false)).toMatch(problem);
  });

  it('refuses what is not a string', () => {
    expect(webhookUrlProblem(42, true)).toBe('url must be a string');
  });
});

describe('CreateWebhookDto', () => {
  const valid = { url: 'https://example.com/hooks', events: ['export.completed'] };

  it('accepts a URL and a non-empty set of event types', () => {
    expect(badFields(valid)).toEqual([]);
    expect(badFields({ ...valid, events: Object.values(WebhookEventType) })).toEqual([]);
  });

  it.each([
    [{ ...valid, url: undefined }, ['url']],
    [{ ...valid, url: 'not a url' }, ['url']],
    [{ ...valid, url: 'https://a:b@example.com' }, ['url']],
    [{ ...valid, url: 'https://hooks.example.com/a\u0000b' }, ['url']],
    [{ ...valid, events: [] }, ['events']],
    [{ ...valid, events: 'export.completed' }, ['events']],
    [{ ...valid, events: ['export.started'] }, ['events']],
    [{ ...valid, events: ['export.completed', 'export.completed'] }, ['events']],
    [{ ...valid, secret: 'mine' }, ['secret']],
  ])('refuses %j, naming the field', (plain, fields) => {
    expect(badFields(plain)).toEqual(fields);
  });
});

describe('webhookEventTypeOf', () => {
  it('maps the kinds of exports.events.* to event types, and nothing else', () => {
    expect(webhookEventTypeOf('completed')).toBe(WebhookEventType.ExportCompleted);
    expect(webhookEventTypeOf('cancelled')).toBe(WebhookEventType.ExportCancelled);
    expect(webhookEventTypeOf('requested')).toBeUndefined();
  });
});
