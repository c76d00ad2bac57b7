/**
 * The fan-out's writer: a `next` frame goes to the TCP socket as two chunks, a small
 * per-subscriber head (the RFC 6455 frame header and the subscriber's own prefix,
 * `{"id":"1","type":"next","payload":`) and the payload's UTF-8 bytes, which are the
 * same Buffer for every subscriber of a group. The writes are corked, so Node's
 * stream hands both chunks to the socket's writev at uncork: one syscall per
 * subscriber, and the payload is referenced, never copied, even while the kernel's
 * buffer is full and the chunks wait in the stream's queue.
 *
 * Below {@link SHARE_PAYLOAD_FROM} bytes a frame is one buffer written with one plain
 * write instead: Node's corked writev path costs more than a few kilobytes of copying
 * (measured with real sockets, bench/writer.mjs: about 2–3 µs more per delivery at
 * 0.1–4 KiB, 4–5 µs less at 8 KiB, 35 µs less at 64 KiB). The fan-out builds that
 * buffer straight from the strings ({@link wholeFrame}) and shares it between
 * consecutive subscribers with the same prefix (next-payload.ts); {@link writeFrame}
 * copies head and payload into one.
 * Pure: no I/O of its own; the socket is passed in.
 */

/** Payloads of at least this many bytes are shared (head + payload, writev), smaller ones go as one whole frame. */
export const SHARE_PAYLOAD_FROM = 8 * 1024;

/** What the writer needs of a socket: a Node Writable (net.Socket) has all three. */
export interface CorkableSocket {
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
}

/** The length of a frame header (RFC 6455 §5.2) for a body of `length` bytes: 2, 4 or 10. */
export function frameHeaderLength(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

/** Writes the header of an unmasked, final text frame with a body of `length` bytes at the start of `target`: `header` bytes. */
function writeHeader(target: Buffer, length: number, header: number): void {
  target[0] = 0x81;
  if (header === 2) {
    target[1] = length;
  } else if (header === 4) {
    target[1] = 126;
    target.writeUInt16BE(length, 2);
  } else {
    target[1] = 127;
    target.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    target.writeUInt32BE(length >>> 0, 6);
  }
}

/**
 * The head of an unmasked, final text frame (FIN, opcode 1) whose body is
 * `prefix` followed by `payloadBytes` bytes: the header, then the prefix as UTF-8.
 */
export function frameHead(prefix: string, payloadBytes: number): Buffer {
  const prefixBytes = Buffer.byteLength(prefix);
  const length = prefixBytes + payloadBytes;
  const header = frameHeaderLength(length);
  const head = Buffer.allocUnsafe(header + prefixBytes);
  writeHeader(head, length, header);
  head.write(prefix, header, prefixBytes, 'utf8');
  return head;
}

/**
 * A whole unmasked, final text frame whose body is `prefix + tail` (`tailBytes` is
 * `tail`'s UTF-8 length), encoded straight from the strings into one buffer: for
 * payloads under {@link SHARE_PAYLOAD_FROM}, where one buffer per frame costs least.
 */
export function wholeFrame(prefix: string, tail: string, tailBytes: number): Buffer {
  const prefixBytes = Buffer.byteLength(prefix);
  const length = prefixBytes + tailBytes;
  const header = frameHeaderLength(length);
  const frame = Buffer.allocUnsafe(header + length);
  writeHeader(frame, length, header);
  frame.write(prefix, header, prefixBytes, 'utf8');
  frame.write(tail, header + prefixBytes, tailBytes, 'utf8');
  return frame;
}

/**
 * Writes one frame, `head` then `payload`: corked, as two chunks that leave in one writev,
 * or, for a payload under {@link SHARE_PAYLOAD_FROM} bytes, copied into one buffer.
 */
export function writeFrame(socket: CorkableSocket, head: Buffer, payload: Buffer): void {
  if (payload.length < SHARE_PAYLOAD_FROM) {
    const frame = Buffer.allocUnsafe(head.length + payload.length);
    head.copy(frame, 0);
    payload.copy(frame, head.length);
    socket.write(frame);
    return;
  }
  socket.cork();
  socket.write(head);
  socket.write(payload);
  socket.uncork();
}
