/** Publishes subscription events: a value for a topic, to every process. */
import { type Metrics, NO_METRICS } from '../metrics/metrics.js';
import type { ResumptionLog } from '../sse/resumption-log.js';
import { type Bus, Channels } from './bus.js';
import { encodeEventMessage } from './event-message.js';

export interface PublishOptions {
  /**
   * Whether the event is logged for SSE resumption (when the publisher has a log) and
   * carries its id to every node. Default true; false for values the next event replaces
   * (a per-user counter), which need no log entry.
   */
  readonly resumable?: boolean;
}

export class Publisher {
  /**
   * @param log the SSE resumption log (`Last-Event-ID`); without one, events carry no id.
   *   With one, an event is appended first and published with its id, so every node sends
   *   the same `id:`; a failed append fails the publish (the log is the bus's Redis, or memory).
   */
  constructor(
    private readonly bus: Bus,
    private readonly metrics: Metrics = NO_METRICS,
    private readonly log?: ResumptionLog,
  ) {}

  /** Resolves when the bus took the event (in process: once delivered); counted as published then. */
  publish(topic: string, value: unknown, options?: PublishOptions): Promise<void> {
    let sent: Promise<void>;
    try {
      const json = JSON.stringify(value);
      const log = options?.resumable === false ? undefined : this.log;
      sent =
        log === undefined
          ? this.bus.publish(Channels.topic(topic), json)
          : log.append(topic, json).then((id) => this.bus.publish(Channels.topic(topic), encodeEventMessage(json, id)));
    } catch (error) {
      return Promise.reject(error);
    }
    // No async frame per event when nothing counts it: a round of per-user events is thousands.
    return this.metrics.enabled ? sent.then(() => this.metrics.published()) : sent;
  }
}
