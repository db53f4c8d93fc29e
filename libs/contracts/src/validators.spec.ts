import { isIanaTimeZone, isStorableText, useDatabaseTimeZones } from './validators';

describe('isIanaTimeZone', () => {
  afterEach(() => useDatabaseTimeZones(undefined));

  it('takes what the runtime knows until the database names are installed, then only names both know', () => {
    expect(isIanaTimeZone('US/Pacific-New')).toBe(true);
    useDatabaseTimeZones(['UTC', 'Europe/Paris']);
    expect(isIanaTimeZone('Europe/Paris')).toBe(true);
    expect(isIanaTimeZone('US/Pacific-New')).toBe(false);
    expect(isIanaTimeZone('europe/paris')).toBe(false);
  });

  it('refuses a name the database knows but the runtime does not', () => {
    useDatabaseTimeZones(['Factory']);
    expect(isIanaTimeZone('Factory')).toBe(false);
  });
});

describe('isStorableText', () => {
  it.each(['ACME', 'Café ☕', '😀', ''])('accepts %j', (value) => expect(isStorableText(value)).toBe(true));
  it.each(['a\u0000b', 'tab\there', 'del\u007f', 'lone \ud800', 'lone \udc00 low', '\udc00\ud800'])('refuses %j', (value) => expect(isStorableText(value)).toBe(false));
});
