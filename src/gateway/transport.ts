/** What the protocol engine needs of a socket: the engine never imports `ws`. */
export interface Transport {
  send(frame: string): void;
  close(code: number, reason: string): void;
  /** Bytes queued for sending and not yet written to the network. */
  readonly bufferedAmount: number;
  /** Stops reading the client's messages until {@link resume} (backpressure); optional. */
  pause?(): void;
  resume?(): void;
}

/** What the upgrade request told us; the request itself is not kept. */
export interface UpgradeInfo {
  readonly ip: string;
  readonly userAgent: string | undefined;
  readonly subprotocol: string;
  /** The upgrade's Cookie header, only when the request came from an allowed Origin. */
  readonly cookieHeader: string | undefined;
}
