import { plannedRows } from './query-plan';

const plan = (rows: unknown) => [{ Plan: { 'Node Type': 'Index Only Scan', 'Relation Name': 'messages', 'Plan Rows': rows, 'Plan Width': 4 } }];

describe('plannedRows', () => {
  it('reads the top node of EXPLAIN (FORMAT JSON), parsed or as text', () => {
    expect(plannedRows(plan(5036346))).toBe(5036346);
    expect(plannedRows(JSON.stringify(plan(992964)))).toBe(992964);
  });

  it('gives whole rows', () => {
    expect(plannedRows(plan(1.4))).toBe(1);
    expect(plannedRows(plan(0))).toBe(0);
  });

  it.each([[[]], [{}], [null], [[{ Plan: {} }]], [plan('12')], [plan(-1)], [plan(Number.POSITIVE_INFINITY)], ['not json']])('refuses %j', (answer) => {
    expect(() => plannedRows(answer)).toThrow();
  });
});
