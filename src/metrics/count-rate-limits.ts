/**
 * Counts a rate limiter's refusals without the limiter knowing: its `hit` is
 * wrapped on the instance, so the limiter (a pure core) stays free of metrics.
 */
import type { Metrics } from './metrics.js';

interface Limiter {
  hit(key: string): { readonly allowed: boolean };
}

export function countRefusals<L extends Limiter>(limiter: L, scope: 'ip' | 'email', metrics: Metrics): L {
  if (!metrics.enabled) return limiter;
  const target: Limiter = limiter;
  const hit = target.hit.bind(target);
  target.hit = (key: string) => {
    const decision = hit(key);
    if (!decision.allowed) metrics.rateLimited(scope);
    return decision;
  };
  return limiter;
}
