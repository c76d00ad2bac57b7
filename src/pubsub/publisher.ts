/** Publishes subscription events: a value for a topic, to every process. */
import { type Metrics, NO_METRICS } from '../metrics/metrics.js';
import { type Bus, Channels } from './bus.js';

export class Publisher {
  constructor(
    private readonly bus: Bus,
    private readonly metrics: Metrics = NO_METRICS,
  ) {}

  /** Resolves when the bus took the event (in process: once delivered); counted as published then. */
  publish(topic: string, value: unknown): Promise<void> {
    let sent: Promise<void>;
    try {
      sent = this.bus.publish(Channels.topic(topic), JSON.stringify(value));
    } catch (error) {
      return Promise.reject(error);
    }
    // No async frame per event when nothing counts it: a round of per-user events is thousands.
    return this.metrics.enabled ? sent.then(() => this.metrics.published()) : sent;
  }
}

/** The topics, named in one place. */
export const Topics = {
  userCount: (userId: string) => `user_count:${userId}`,
  announcements: 'system_announcements',
} as const;
