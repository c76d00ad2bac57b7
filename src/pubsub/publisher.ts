/** Publishes subscription events: a value for a topic, to every process. */
import { type Metrics, NO_METRICS } from '../metrics/metrics.js';
import { type Bus, Channels } from './bus.js';

export class Publisher {
  constructor(
    private readonly bus: Bus,
    private readonly metrics: Metrics = NO_METRICS,
  ) {}

  async publish(topic: string, value: unknown): Promise<void> {
    await this.bus.publish(Channels.topic(topic), JSON.stringify(value));
    this.metrics.published();
  }
}

/** The topics, named in one place. */
export const Topics = {
  userCount: (userId: string) => `user_count:${userId}`,
  announcements: 'system_announcements',
} as const;
