import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsEmail,
  IsEnum,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
  ArrayMaxSize,
  MaxLength,
} from 'class-validator';
import { Channel, DeliveryStatus, MessageDirection } from './enums';
import { ID_PATTERN } from './export-requests.dto';
import { registerDecorator } from 'class-validator';
import { E164, IsIsoDateTimeWithOffset } from './validators';

/** customFields: a flat object of string values, at most 100 keys. */
function IsStringMap(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isStringMap',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: '$property must be an object of at most 100 string values' },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.keys(value).length <= 100 &&
          Object.values(value).every((v) => typeof v === 'string'),
      },
    });
}

export class PlatformContact {
  @Matches(ID_PATTERN, { message: 'contact.id must be an id of 1-128 letters, digits, "_", "-", ".", ":"' })
  id!: string;

  @ValidateIf((c: PlatformContact) => c.phoneNumber !== undefined || c.email === undefined)
  @Matches(E164, { message: 'contact.phoneNumber must be E.164 (e.g. +33612345678); a contact needs a phoneNumber or an email' })
  phoneNumber?: string;

  @ValidateIf((c: PlatformContact) => c.email !== undefined || c.phoneNumber === undefined)
  @IsEmail({}, { message: 'contact.email must be an email address; a contact needs a phoneNumber or an email' })
  @MaxLength(320)
  email?: string;

  @IsOptional() @IsString() @MaxLength(256) firstName?: string;
  @IsOptional() @IsString() @MaxLength(256) lastName?: string;
  @IsOptional() @IsString() @MaxLength(32) gender?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @Matches(ID_PATTERN, { each: true, message: 'each value in contact.listIds must be an id' })
  listIds?: string[];

  @IsOptional()
  @IsObject()
  @IsStringMap()
  customFields?: Record<string, string>;

  @IsOptional() @IsBoolean() isTest?: boolean;

  @IsIsoDateTimeWithOffset() createdAt!: string;
  @IsIsoDateTimeWithOffset() updatedAt!: string;
}

export class ContactUpsertedEvent {
  @IsUUID() accountId!: string;

  @ValidateNested()
  @Type(() => PlatformContact)
  contact!: PlatformContact;
}

export class ContactDeletedEvent {
  @IsUUID() accountId!: string;
  @Matches(ID_PATTERN) contactId!: string;
  @IsIsoDateTimeWithOffset() deletedAt!: string;
}

export class PlatformMessage {
  @Matches(ID_PATTERN) messageId!: string;
  @IsOptional() @IsString() @Length(1, 128) customerMessageId?: string;
  @IsOptional() @IsString() @Length(1, 128) campaignId?: string;
  @IsEnum(Channel) channel!: Channel;
  @IsEnum(MessageDirection) direction!: MessageDirection;
  @IsString() @Length(1, 64) sender!: string;
  @IsString() @Length(1, 64) destination!: string;
  @IsString() @MaxLength(65536) body!: string;
  @IsEnum(DeliveryStatus) status!: DeliveryStatus;
  @IsIsoDateTimeWithOffset() sendDate!: string;
  @IsOptional() @IsNumber({ maxDecimalPlaces: 6 }) @Min(0) cost?: number;
  @IsOptional() @IsInt() @Min(1) @Max(255) parts?: number;
}

export class MessageRecordedEvent {
  @IsUUID() accountId!: string;

  @ValidateNested()
  @Type(() => PlatformMessage)
  message!: PlatformMessage;
}

export class MessageStatusEvent {
  @IsUUID() accountId!: string;
  @Matches(ID_PATTERN) messageId!: string;
  @IsEnum(DeliveryStatus) status!: DeliveryStatus;
  @IsOptional() @IsString() @MaxLength(512) statusDescription?: string;
  @IsOptional() @IsString() @MaxLength(64) errorCode?: string;
  @IsIsoDateTimeWithOffset() occurredAt!: string;
}

