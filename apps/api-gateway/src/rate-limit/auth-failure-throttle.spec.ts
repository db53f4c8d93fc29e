import { AuthFailureThrottle } from './auth-failure-throttle';

describe('AuthFailureThrottle', () => {
  it('lets an address fail up to the limit, then blocks it for a whole window from the last failure', () => {
    let now = 10_000;
    const throttle = new AuthFailureThrottle(3, 60_000, () => now);
    throttle.fail('10.0.0.1');
    throttle.fail('10.0.0.1');
    expect(throttle.blockedFor('10.0.0.1')).toBe(0);
    now += 30_000;
    throttle.fail('10.0.0.1');
    expect(throttle.blockedFor('10.0.0.1')).toBe(60);
    expect(throttle.blockedFor('10.0.0.2')).toBe(0);
    now += 59_500;
    expect(throttle.blockedFor('10.0.0.1')).toBe(1);
    now += 500;
    expect(throttle.blockedFor('10.0.0.1')).toBe(0);
  });

  it('starts counting over once a window has passed without reaching the limit', () => {
    let now = 0;
    const throttle = new AuthFailureThrottle(2, 1000, () => now);
    throttle.fail('a');
    now = 1000;
    throttle.fail('a');
    expect(throttle.blockedFor('a')).toBe(0);
    throttle.fail('a');
    expect(throttle.blockedFor('a')).toBe(1);
  });
});
