/** Reads a distinct-connections SSE stream with fetch, as EventSource would: `next` events with their ids. */
import assert from 'node:assert/strict';
import type { ExecutionResult } from 'graphql-sse';

export interface ReadStream {
  readonly events: { id: string | undefined; data: ExecutionResult }[];
  /** Whether the server ended the response. */
  readonly ended: () => boolean;
  drop(): void;
}

/** GETs `url?query=…` with `Accept: text/event-stream` and `headers`; resolves once the 200 arrived. */
export async function readStream(url: string, query: string, headers: Record<string, string>): Promise<ReadStream> {
  const controller = new AbortController();
  const response = await fetch(`${url}?query=${encodeURIComponent(query)}`, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  assert.equal(response.status, 200, response.status === 200 ? '' : await response.text());
  const events: ReadStream['events'] = [];
  let ended = false;
  let buffered = '';
  const decoder = new TextDecoder();
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          ended = true;
          return;
        }
        buffered += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) !== -1) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const id = /^id: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (/^event: next$/m.test(block) && data !== undefined) events.push({ id, data: JSON.parse(data) as ExecutionResult });
        }
      }
    } catch {
      // aborted
    }
  })();
  return { events, ended: () => ended, drop: () => controller.abort() };
}

/** The announcements' messages of `events` (or an error's code). */
export const messagesOf = (events: readonly { data: ExecutionResult }[]): unknown[] =>
  events.map((event) => (event.data.data as { systemAnnouncements?: { message: string } } | undefined)?.systemAnnouncements?.message ?? event.data.errors?.[0]?.extensions?.['code'] ?? event.data.errors?.[0]?.message);
