/**
 * Counts a rate limiter's refusals by the scope of the refusing rule, without
 * the limiter knowing: its `hit` is wrapped on the instance, so the limiter
 * (a pure core) stays free of metrics.
 */
import type { RateLimiter } from '../accounts/index.js';
import type { Metrics } from '../index.js';

export function countRefusals<L extends RateLimiter>(limiter: L, metrics: Metrics): L {
  if (!metrics.enabled) return limiter;
  const target: RateLimiter = limiter;
  const hit = target.hit.bind(target);
  target.hit = async (rules) => {
    const decision = await hit(rules);
    if (!decision.allowed) metrics.rateLimited(decision.refusedBy ?? 'other');
    return decision;
  };
  return limiter;
}
