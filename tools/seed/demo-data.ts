import { Channel, DeliveryStatus, MessageDirection, MessageStatusEvent, PlatformContact, PlatformMessage } from '@exports/contracts';

/** A small seeded PRNG (mulberry32): the same seed gives the same demo data. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Picks by weight: `[[value, weight], ...]`. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [value, weight] of items) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return items[items.length - 1][0];
  }

  digits(count: number): string {
    let out = '';
    for (let i = 0; i < count; i++) out += String(this.int(0, 9));
    return out;
  }
}

interface Locale {
  country: string;
  phone: (random: Random) => string;
  firstNames: readonly string[];
  lastNames: readonly string[];
  city: string;
}

const LOCALES: readonly Locale[] = [
  { country: 'FR', phone: (r) => `+336${r.digits(8)}`, firstNames: ['Zoé', 'Léa', 'Hélène', 'François', 'Jérôme'], lastNames: ['Dupont', 'Lefèvre', "D'Artagnan", 'Moreau, Jr.'], city: 'Paris' },
  { country: 'US', phone: (r) => `+1415555${r.digits(4)}`, firstNames: ['Ana', 'Mike', 'Sarah "Sally"', 'O\'Neil'], lastNames: ['Smith', 'Johnson', 'Brown'], city: 'San Francisco' },
  { country: 'GB', phone: (r) => `+447700900${r.digits(3)}`, firstNames: ['Oliver', 'Amelia', 'Harry'], lastNames: ['Taylor', 'Wilson', 'Evans'], city: 'London' },
  { country: 'JP', phone: (r) => `+8190${r.digits(8)}`, firstNames: ['健二', 'さくら', '翔太'], lastNames: ['山田', '佐藤', '鈴木'], city: '東京' },
  { country: 'EG', phone: (r) => `+2010${r.digits(8)}`, firstNames: ['محمد', 'فاطمة', 'أحمد'], lastNames: ['حسن', 'علي'], city: 'القاهرة' },
  { country: 'RU', phone: (r) => `+7916${r.digits(7)}`, firstNames: ['Иван', 'Ольга', 'Дмитрий'], lastNames: ['Иванов', 'Смирнова'], city: 'Москва' },
  { country: 'IN', phone: (r) => `+9198${r.digits(8)}`, firstNames: ['आरव', 'प्रिया', 'Rahul'], lastNames: ['शर्मा', 'Patel'], city: 'मुंबई' },
];

/** Values a spreadsheet would run as formulas; the exports must write them as text. */
const FORMULA_LIKE = ['=1+1', '@admin', '+33 6 12 34 56 78', '-20% off', '=HYPERLINK("http://evil.example","click")'];

const LISTS = ['newsletter', 'vip', 'beta-testers', 'fr', 'us', 'churn-risk'];

/** Contact `index` of an account: phone (E.164) and/or email, names in many scripts, lists, custom fields. */
export function demoContact(random: Random, index: number, now: number): PlatformContact {
  const locale = random.pick(LOCALES);
  const id = `c-${String(index + 1).padStart(6, '0')}`;
  const firstName = random.chance(0.03) ? random.pick(FORMULA_LIKE) : random.pick(locale.firstNames);
  const lastName = random.pick(locale.lastNames);
  const hasPhone = random.chance(0.9);
  const createdAt = now - random.int(1, 365) * 86_400_000 - random.int(0, 86_399) * 1000;
  const contact: PlatformContact = {
    id,
    firstName,
    lastName,
    createdAt: new Date(createdAt).toISOString(),
    updatedAt: new Date(Math.min(now, createdAt + random.int(0, 60) * 86_400_000)).toISOString(),
  };
  if (hasPhone) contact.phoneNumber = locale.phone(random);
  if (!hasPhone || random.chance(0.6)) contact.email = `${id}@${random.pick(['example.com', 'example.org', 'example.jp'])}`;
  if (random.chance(0.5)) contact.gender = random.pick(['female', 'male', 'other']);
  const lists = LISTS.filter(() => random.chance(0.25));
  if (lists.length) contact.listIds = lists;
  if (random.chance(0.7)) {
    contact.customFields = {
      plan: random.pick(['free', 'pro', 'enterprise']),
      city: locale.city,
      country: locale.country,
      ...(random.chance(0.2) ? { note: 'Prefers SMS, "not" calls;\nsecond line' } : {}),
    };
  }
  if (random.chance(0.05)) contact.isTest = true;
  return contact;
}

const BRANDS = ['ACME', 'ACME-Shop', '38383', '+33644630000'];
const CAMPAIGNS = ['spring-sale-2026', 'welcome-series', 'black-friday', 'otp', 'reactivation'];

const TEMPLATES: ReadonlyArray<(random: Random, name: string) => string> = [
  (r) => `Your verification code is ${r.digits(6)}. It expires in 10 minutes.`,
  (r, name) => `Hi ${name}, your order #${r.digits(6)} has shipped, track it at https://acme.example/t/${r.digits(8)}`,
  (_r, name) => `Hello ${name}, "Spring sale": -30% on everything, today only!`,
  () => 'Reminder:\nyour appointment is tomorrow at 10:30.\nReply STOP to opt out.',
  () => 'Thanks for your visit 🎉🙏 See you soon! 🚀',
  () => 'ご注文ありがとうございます。発送は明日です。',
  () => 'شكرا لطلبك، سيتم الشحن غدا',
  () => 'Спасибо за заказ, доставка завтра.',
  () => 'आपका ऑर्डर कल भेजा जाएगा, धन्यवाद',
  () => '=SUM(A1:A9) is not a formula here',
  () => '+1 (415) 555-0100: call us back',
  () => '@channel flash sale starts now',
  () => 'Commas, "quotes", and a\r\nCRLF, all in one message',
  () => 'OK',
];

/** GSM-7 style parts for plain text, UCS-2 parts when the text needs it. */
export function partsOf(body: string): number {
  const unicode = /[^\x00-\x7f€]/.test(body);
  const length = [...body].length;
  const [single, multi] = unicode ? [70, 67] : [160, 153];
  return length <= single ? 1 : Math.min(255, Math.ceil(length / multi));
}

const COST_PER_PART: Record<Channel, number> = { [Channel.Sms]: 0.045, [Channel.Rcs]: 0.03, [Channel.WhatsApp]: 0.012 };

export interface DemoMessage {
  message: PlatformMessage;
  reports: Array<Omit<MessageStatusEvent, 'accountId'>>;
}

/**
 * Message `index` of an account and its delivery reports: mostly outbound SMS, some
 * WhatsApp and RCS, inbound replies; sent over the last 30 days; reports a few seconds
 * to minutes later (mostly DELIVERED, some ERROR or EXPIRED, a few with no report).
 */
export function demoMessage(random: Random, accountTag: string, index: number, now: number, destinations: readonly string[]): DemoMessage {
  const channel = random.weighted([[Channel.Sms, 60], [Channel.WhatsApp, 25], [Channel.Rcs, 15]] as const);
  const inbound = random.chance(0.08);
  const party = destinations.length ? random.pick(destinations) : random.pick(LOCALES).phone(random);
  const name = random.pick(random.pick(LOCALES).firstNames);
  const body = inbound ? random.pick(['STOP', 'Yes please', 'Merci !', 'はい', 'Can you call me back?\nThanks']) : random.pick(TEMPLATES)(random, name);
  const sendMs = now - random.int(60, 30 * 86_400) * 1000 - random.int(0, 999);
  const parts = partsOf(body);
  const message: PlatformMessage = {
    messageId: `msg-${accountTag}-${String(index + 1).padStart(7, '0')}`,
    channel,
    direction: inbound ? MessageDirection.Inbound : MessageDirection.Outbound,
    sender: inbound ? party : random.pick(BRANDS),
    destination: inbound ? random.pick(BRANDS) : party,
    body,
    status: inbound ? DeliveryStatus.Received : DeliveryStatus.Sent,
    sendDate: new Date(sendMs).toISOString(),
    parts,
  };
  if (!inbound) {
    message.cost = Math.round(COST_PER_PART[channel] * parts * 1e6) / 1e6;
    if (random.chance(0.5)) message.customerMessageId = `cust-${random.digits(10)}`;
    if (random.chance(0.4)) message.campaignId = random.pick(CAMPAIGNS);
  }
  const reports: DemoMessage['reports'] = [];
  if (!inbound) {
    const at = (seconds: number) => new Date(Math.min(now, sendMs + seconds * 1000)).toISOString();
    if (random.chance(0.3)) reports.push({ messageId: message.messageId, status: DeliveryStatus.Sent, occurredAt: at(random.int(1, 3)) });
    const outcome = random.weighted([['delivered', 85], ['error', 8], ['expired', 4], ['none', 3]] as const);
    if (outcome === 'delivered') {
      reports.push({ messageId: message.messageId, status: DeliveryStatus.Delivered, occurredAt: at(random.int(4, 90)) });
    } else if (outcome === 'error') {
      const [errorCode, statusDescription] = random.pick([
        ['E021', 'Handset unreachable'],
        ['E034', 'Number not in service, "ported"?'],
        ['-1', '=ERROR() from the carrier'],
      ] as const);
      reports.push({ messageId: message.messageId, status: DeliveryStatus.Error, errorCode, statusDescription, occurredAt: at(random.int(4, 120)) });
    } else if (outcome === 'expired' && sendMs + 48 * 3_600_000 <= now) {
      reports.push({ messageId: message.messageId, status: DeliveryStatus.Expired, statusDescription: 'Validity period elapsed', occurredAt: at(48 * 3600) });
    }
  }
  return { message, reports };
}
