/**
 * The planner's row estimate of a statement, from what `EXPLAIN (FORMAT JSON)` answers: a
 * one-element array whose `Plan` is the top node. pg hands the json column over parsed; text is
 * parsed here. Anything else is a bug, not an estimate.
 */
export function plannedRows(plan: unknown): number {
  const parsed: unknown = typeof plan === 'string' ? JSON.parse(plan) : plan;
  const rows = Array.isArray(parsed) ? (parsed[0] as { Plan?: { 'Plan Rows'?: unknown } } | undefined)?.Plan?.['Plan Rows'] : undefined;
  if (typeof rows !== 'number' || !Number.isFinite(rows) || rows < 0) throw new Error(`EXPLAIN gave no row estimate: ${JSON.stringify(parsed)?.slice(0, 200)}`);
  return Math.round(rows);
}
