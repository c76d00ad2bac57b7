/** Publishes subscription events: a value for a topic, to every process. */
import { type Bus, Channels } from './bus.js';

export class Publisher {
  constructor(private readonly bus: Bus) {}

  publish(topic: string, value: unknown): Promise<void> {
    return this.bus.publish(Channels.topic(topic), JSON.stringify(value));
  }
}

/** The topics, named in one place. */
export const Topics = {
  userCount: (userId: string) => `user_count:${userId}`,
  announcements: 'system_announcements',
} as const;
