import { ClassConstructor, TransformationType } from 'class-transformer';
import type { MetadataStorage as TransformMetadataStorage } from 'class-transformer/types/MetadataStorage';
import { getMetadataStorage, IS_ENUM, IS_LENGTH, MATCHES, MAX_LENGTH, MIN_LENGTH, ValidationArguments, ValidationTypes } from 'class-validator';
import { checkPayload, MAX_KEYS, VALIDATOR_OPTIONS } from './validation';

// class-transformer keeps its decorators' metadata in a storage its index does not export (Nest's mapped-types reads it the same way).
const transformMetadata = (require('class-transformer/cjs/storage') as { defaultMetadataStorage: TransformMetadataStorage }).defaultMetadataStorage;

export type ValidationMetadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];
type Condition = (object: object, value: unknown) => unknown;
type PlainObject = Record<string, unknown>;

/** A parsed JSON value checked against a payload class: `true` only where class-validator would accept it. */
export type CompiledCheck = (value: unknown) => boolean;

interface Rule {
  validateIf?: Condition;
  each: boolean;
  validators: Array<(value: unknown, args: ValidationArguments) => unknown>;
  /** Reused for every call: the validators are synchronous and keep nothing. */
  args: ValidationArguments;
}

interface PropertyPlan {
  name: string;
  conditions: Condition[];
  rules: Rule[];
  /** The class of a `@ValidateNested() @Type(() => Class)` property, checked by its own plan. */
  nested?: ObjectCheck;
}

type ObjectCheck = (object: PlainObject) => boolean;

/** Why a class cannot be compiled: it then always goes through class-transformer and class-validator. */
class NotCompilable extends Error {}

const compiled = new Map<ClassConstructor<object>, CompiledCheck | null>();

/**
 * The checks of `cls`'s decorators, read once from class-validator's and class-transformer's
 * metadata and run with class-validator's own validator functions, without building an
 * instance, validation errors or metadata lists per payload. The rules stay in the DTO: this is
 * only a faster way to run them, for the options of {@link VALIDATOR_OPTIONS} (unknown
 * properties refused). It may refuse what class-validator would accept (an array for a nested
 * object, more than MAX_KEYS keys), never the other way round: a refusal here is only a reason
 * to ask class-validator, which decides and names the fields. `undefined` for a class it cannot
 * follow (groups, async or promise rules, class-transformer's Transform, Expose or Exclude).
 */
export function compiledCheck<T extends object>(cls: ClassConstructor<T>): CompiledCheck | undefined {
  if (!compiled.has(cls)) {
    let check: CompiledCheck | null = null;
    try {
      const object = compileObject(cls, undefined, new Set());
      check = (value) => {
        try {
          return isPlainObject(value) && object(value);
        } catch {
          return false; // a validator that throws, or nesting deeper than the stack: class-validator decides
        }
      };
    } catch (error) {
      if (!(error instanceof NotCompilable)) throw error;
    }
    compiled.set(cls, check);
  }
  return compiled.get(cls) ?? undefined;
}

/**
 * Validates plain payloads (parsed JSON) of `cls` like {@link checkPayload}, the compiled checks
 * first: a payload they accept is returned as it is (a plain object of the class's shape, not an
 * instance), any other goes through {@link checkPayload}, which accepts it or throws the
 * DomainError naming its fields.
 */
export function payloadChecker<T extends object>(cls: ClassConstructor<T>, label = 'payload'): (payload: unknown) => T {
  const check = compiledCheck(cls);
  return (payload) => (check?.(payload) ? (payload as T) : checkPayload(cls, payload, label));
}

function compileObject(cls: ClassConstructor<object>, schema: string | undefined, compiling: Set<ClassConstructor<object>>): ObjectCheck {
  if (!VALIDATOR_OPTIONS.whitelist || !VALIDATOR_OPTIONS.forbidNonWhitelisted || VALIDATOR_OPTIONS.forbidUnknownValues === false) throw new NotCompilable('options');
  if (compiling.has(cls)) throw new NotCompilable('recursive class');
  compiling.add(cls);
  const storage = getMetadataStorage();
  // The same lookup as class-validator's executor with no groups.
  const metadatas = storage.getTargetValidationMetadatas(cls, schema as string, false, false, undefined as unknown as string[]);
  if (!metadatas.length) throw new NotCompilable('no rules'); // forbidUnknownValues: refused, by class-validator
  if (transformMetadata.getStrategy(cls) !== 'none' || transformMetadata.getExposedMetadatas(cls).length || transformMetadata.getExcludedMetadatas(cls).length) {
    throw new NotCompilable('class-transformer exposure');
  }
  const grouped = storage.groupByPropertyName(metadatas);
  const plans = Object.entries(grouped).map(([name, list]) => compileProperty(cls, name, list, compiling));
  const known = new Set(Object.keys(grouped));
  compiling.delete(cls);

  return (object) => {
    let keys = 0;
    for (const key in object) {
      if (!Object.prototype.hasOwnProperty.call(object, key)) return false;
      if (++keys > MAX_KEYS || !known.has(key)) return false;
    }
    for (const plan of plans) if (!checkProperty(plan, object)) return false;
    return true;
  };
}

function compileProperty(cls: ClassConstructor<object>, name: string, list: ValidationMetadata[], compiling: Set<ClassConstructor<object>>): PropertyPlan {
  if (transformMetadata.findTransformMetadatas(cls, name, TransformationType.PLAIN_TO_CLASS).length) throw new NotCompilable('@Transform');
  const plan: PropertyPlan = { name, conditions: [], rules: [] };
  for (const metadata of list) {
    if (metadata.context) throw new NotCompilable('context');
    switch (metadata.type) {
      case ValidationTypes.WHITELIST:
        break;
      case ValidationTypes.CONDITIONAL_VALIDATION:
        plan.conditions.push(metadata.constraints[0] as Condition);
        break;
      case ValidationTypes.IS_DEFINED:
      case ValidationTypes.CUSTOM_VALIDATION:
        plan.rules.push(compileRule(cls, name, metadata));
        break;
      case ValidationTypes.NESTED_VALIDATION:
        plan.nested = compileObject(nestedClass(cls, name), cls.name, compiling);
        break;
      default:
        throw new NotCompilable(metadata.type);
    }
  }
  return plan;
}

function compileRule(cls: ClassConstructor<object>, name: string, metadata: ValidationMetadata): Rule {
  const constraints = getMetadataStorage().getTargetValidatorConstraints(metadata.constraintCls);
  if (constraints.some((constraint) => constraint.async)) throw new NotCompilable('async rule');
  return {
    validateIf: (metadata as { validateIf?: Condition }).validateIf,
    each: metadata.each,
    validators: constraints.map((constraint) => {
      const instance = constraint.instance;
      const rule = (value: unknown, args: ValidationArguments) => instance.validate(value, args);
      return leanRule(metadata, rule) ?? rule;
    }),
    args: { targetName: cls.name, property: name, object: {}, value: undefined, constraints: metadata.constraints },
  };
}

/** Characters that make validator.js's string length differ from `.length` (surrogate pairs, variation selectors). */
const UNCOUNTED = /[\uD800-\uDFFF\uFE0E\uFE0F]/;

/**
 * class-validator's own rules that allocate on every call (an array of the enum's values, the
 * matches of a RegExp, of surrogate pairs), run by an equivalent that does not. Each answers as
 * the rule does; where it cannot tell at once (a string holding characters validator.js counts
 * apart), it asks the rule itself.
 */
export function leanRule(metadata: ValidationMetadata, rule: (value: unknown, args: ValidationArguments) => unknown): ((value: unknown, args: ValidationArguments) => unknown) | undefined {
  const [first, second] = metadata.constraints ?? [];
  const bounded = (min: number, max: number) => (value: unknown, args: ValidationArguments) => {
    if (typeof value !== 'string') return false;
    return UNCOUNTED.test(value) ? rule(value, args) : value.length >= min && value.length <= max;
  };
  switch (metadata.name) {
    case IS_ENUM: {
      if (typeof first !== 'object' || first === null) return undefined;
      const values = new Set(Object.keys(first).map((key) => (first as Record<string, unknown>)[key]));
      return (value) => values.has(value);
    }
    case MAX_LENGTH:
      return typeof first === 'number' ? bounded(0, first) : undefined;
    case MIN_LENGTH:
      return typeof first === 'number' ? bounded(first, Infinity) : undefined;
    case IS_LENGTH:
      return typeof first === 'number' && (typeof second === 'number' || second === undefined) ? bounded(first, second ?? Infinity) : undefined;
    case MATCHES:
      // Without the g or y flag, `str.match(pattern)` finds a match exactly when `pattern.test(str)` does.
      return first instanceof RegExp && !first.global && !first.sticky ? (value) => typeof value === 'string' && first.test(value) : undefined;
    default:
      return undefined;
  }
}

/** The class `@Type(() => Class)` names for a nested property. */
function nestedClass(cls: ClassConstructor<object>, name: string): ClassConstructor<object> {
  const type = transformMetadata.findTypeMetadata(cls, name);
  if (!type || type.options?.discriminator) throw new NotCompilable('nested without a plain @Type');
  const nested = type.typeFunction() as ClassConstructor<object> | undefined;
  if (typeof nested !== 'function' || nested === Object) throw new NotCompilable('nested without a class');
  return nested;
}

/** The property as class-validator's executor sees it: skipped when a condition says so, then every rule. */
function checkProperty(plan: PropertyPlan, object: PlainObject): boolean {
  const value = object[plan.name];
  // boundedKeys cuts objects of more than MAX_KEYS keys before class-validator sees them.
  if (typeof value === 'object' && value !== null && !withinKeyBound(value)) return false;
  for (const condition of plan.conditions) if (!condition(object, value)) return true;
  for (const rule of plan.rules) {
    if (rule.validateIf && !rule.validateIf(object, value)) continue;
    const args = rule.args;
    args.object = object;
    args.value = value;
    for (const validate of rule.validators) {
      const valid = rule.each && Array.isArray(value) ? value.every((item) => isTrue(validate(item, args))) : isTrue(validate(value, args));
      if (!valid) return false;
    }
  }
  if (plan.nested && value !== undefined) return isPlainObject(value) && plan.nested(value);
  return true;
}

/** A promise (an asynchronous rule) is not an answer here. */
function isTrue(result: unknown): boolean {
  return Boolean(result) && !(result instanceof Promise);
}

/** What JSON.parse makes of an object; anything else is left to class-transformer and class-validator. */
function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function withinKeyBound(value: object): boolean {
  if (Array.isArray(value)) return value.every((item) => typeof item !== 'object' || item === null || withinKeyBound(item as object));
  let keys = 0;
  for (const key in value) {
    if (++keys > MAX_KEYS) return false;
    const item = (value as PlainObject)[key];
    if (typeof item === 'object' && item !== null && !withinKeyBound(item)) return false;
  }
  return true;
}
