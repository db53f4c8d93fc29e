/** How a presigned link of an export is signed: as of `signedAt`, valid for `seconds`. */
export interface LinkWindow {
  signedAt: Date;
  seconds: number;
}

/**
 * Signed as of the current whole second, for the whole seconds left until `linkExpiresAt`: every
 * link of an export ends at the same instant (linkExpiresAt, to the second), however often it is
 * asked for, never later.
 */
export function linkWindow(linkExpiresAt: Date, now: Date): LinkWindow {
  const signedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const seconds = Math.max(1, Math.floor((linkExpiresAt.getTime() - signedAt.getTime()) / 1000));
  return { signedAt, seconds };
}

/** When links signed in `window` stop working. */
export function linkEnd(window: LinkWindow): Date {
  return new Date(window.signedAt.getTime() + window.seconds * 1000);
}
