/**
 * The clock every bench process shares: wall-clock origin of the process plus
 * its monotonic offset, in milliseconds. Comparable across processes on one
 * machine (to the precision of performance.timeOrigin, well under a millisecond).
 */
import { performance } from 'node:perf_hooks';

const origin = performance.timeOrigin;
export const now = () => origin + performance.now();
