/**
 * Meeting the peer at a magic-wormhole transit relay (`twist3 transitrelay`).
 *
 * Both sides dial out to the relay, so neither needs a reachable port. The
 * relay pairs two connections that ask for the same channel from different
 * sides, answers `ok\n` to both and from then on copies bytes between them.
 * The channel is derived from the call's code, so the code people already
 * share is also the rendezvous; the relay learns neither the code nor the
 * keys, and peercam's own hello and key exchange run end to end over the
 * relayed connection, unchanged. See docs/PROTOCOL.md, "Calls through a
 * relay".
 *
 * @module
 */

import type { Address } from "../cli.ts";
import { delay, TIMED_OUT, withTimeout } from "../async.ts";
import { CallError, messageOf, ProtocolError } from "../errors.ts";
import { withoutControlCharacters } from "../text.ts";
import {
  closeQuietly,
  CONNECT_TIMEOUT_MS,
  formatAddress,
  type Greeting,
  handshake,
  HANDSHAKE_TIMEOUT_MS,
  type Link,
} from "./connect.ts";
import { encodeHello, HelloFlag } from "./protocol.ts";
import type { Role } from "./secure.ts";

/** The HKDF label that makes a relay channel from a code (and nothing else). */
export const RELAY_CHANNEL_LABEL = "peercam v3 relay channel";

/** Longest line a relay may answer before `ok`; more is not a transit relay. */
export const MAX_ANSWER_BYTES = 64;

/**
 * How long one relay connection waits to be paired before it is replaced by
 * a fresh one (a relay that silently lost the connection would otherwise
 * keep this side waiting for ever).
 */
export const PAIR_TIMEOUT_MS = 30_000;

/** Something bytes can be read from (a connection, or a test's script). */
export interface ByteSource {
  /** Reads into `p`; null at the end of the stream. */
  read(p: Uint8Array): Promise<number | null>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const SIDE_PREFIX = "peercam side ";
/** Bytes of the side message each side sends right after `ok`. */
export const SIDE_MESSAGE_BYTES = SIDE_PREFIX.length + 16 + 1;

/**
 * The relay could not pair this side now, but may later: it is unreachable,
 * closed the connection before pairing, or paired nobody in time. Retried.
 */
export class RelayUnavailableError extends Error {
  /** @param message Why, in a few words. */
  constructor(message: string) {
    super(message);
  }
  override name = "RelayUnavailableError";
}

/**
 * What answered is not a transit relay that will pair this side: it refused
 * the request or spoke something else. Not retried.
 */
export class RelayRefusedError extends Error {
  /** @param message What the relay said or did. */
  constructor(message: string) {
    super(message);
  }
  override name = "RelayRefusedError";
}

/**
 * Derives the relay channel from the call's code: HKDF-SHA-256 of the code
 * with its own label, as 64 hex digits. Both sides with the same code get
 * the same channel; the channel reveals nothing usable about the code (the
 * code has 100 random bits) and is unrelated to the call's keys, which
 * X25519 and a different HKDF label make.
 *
 * @example
 * ```ts
 * const channel = await relayChannel("7KQ2M9XH4TZRB8WDC3NP");
 * // "3f1c…" (64 hex digits)
 * ```
 *
 * @param code The call's code, canonical (see `normalizeCode`).
 * @returns 64 lowercase hex digits.
 */
export async function relayChannel(code: string): Promise<string> {
  const ikm = await crypto.subtle.importKey("raw", encoder.encode(code), "HKDF", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: new Uint8Array(0),
      info: encoder.encode(RELAY_CHANNEL_LABEL),
    },
    ikm,
    256,
  );
  return toHex(new Uint8Array(bits));
}

/**
 * Makes a fresh side id: 8 random bytes as 16 hex digits, new for every
 * connection to the relay.
 *
 * @returns 16 lowercase hex digits.
 */
export function newSide(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(8)));
}

function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The request a transit relay expects as the first bytes of a connection.
 *
 * @param channel 64 hex digits from {@linkcode relayChannel}.
 * @param side 16 hex digits from {@linkcode newSide}.
 * @returns `please relay CHANNEL for side SIDE\n`, as bytes.
 * @throws {RangeError} When the channel or side has the wrong shape.
 */
export function relayRequest(channel: string, side: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(channel)) throw new RangeError("a relay channel is 64 hex digits");
  if (!/^[0-9a-f]{16}$/.test(side)) throw new RangeError("a relay side is 16 hex digits");
  return encoder.encode(`please relay ${channel} for side ${side}\n`);
}

/**
 * Classifies the relay's answer line (without its newline).
 *
 * @param line What the relay sent before its first newline.
 * @throws {RelayRefusedError} Unless the line is `ok`.
 */
export function checkRelayAnswer(line: string): void {
  if (line === "ok") return;
  if (line === "bad handshake" || line === "impatient") {
    throw new RelayRefusedError(`it refused the request ("${line}")`);
  }
  throw new RelayRefusedError(
    `it is not a transit relay (it answered ${JSON.stringify(printable(line))})`,
  );
}

function printable(text: string): string {
  const clean = withoutControlCharacters(text);
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}

/**
 * Reads the relay's answer: bytes up to the first newline, one at a time so
 * that nothing the peer sends right after `ok` is consumed.
 *
 * @param conn The connection to the relay.
 * @returns The line, without its newline.
 * @throws {RelayUnavailableError} When the relay closes before a full line.
 * @throws {RelayRefusedError} When the line is longer than {@linkcode MAX_ANSWER_BYTES}.
 */
export async function readRelayAnswer(conn: ByteSource): Promise<string> {
  const line = new Uint8Array(MAX_ANSWER_BYTES);
  const one = new Uint8Array(1);
  for (let n = 0; n < MAX_ANSWER_BYTES; n++) {
    const got = await conn.read(one);
    if (got === null) {
      throw new RelayUnavailableError(
        n === 0 ? "it closed the connection before pairing" : "it closed the connection mid-answer",
      );
    }
    if (got === 0) {
      n--;
      continue;
    }
    if (one[0] === 0x0a) return decoder.decode(line.subarray(0, n));
    line[n] = one[0]!;
  }
  throw new RelayRefusedError(
    `it is not a transit relay (it sent ${MAX_ANSWER_BYTES} bytes without a newline: ${
      JSON.stringify(printable(decoder.decode(line)))
    })`,
  );
}

/**
 * The role tie-break over a relay: both sides dialled, so the side with the
 * smaller side id plays `dialer` in the hello and the other `acceptor`.
 *
 * @param ours Our side id.
 * @param theirs The peer's side id.
 * @returns Our role.
 * @throws {RelayRefusedError} When the ids are equal (the relay paired this
 * side with itself or echoes).
 */
export function relayRole(ours: string, theirs: string): Role {
  if (ours === theirs) {
    throw new RelayRefusedError("it connected this side to itself (it echoes what it is sent)");
  }
  return ours < theirs ? "dialer" : "acceptor";
}

/**
 * Parses the side message the peer sends right after `ok`.
 *
 * @param bytes Exactly {@linkcode SIDE_MESSAGE_BYTES} bytes.
 * @returns The peer's side id.
 * @throws {ProtocolError} When it is not a peercam side message.
 */
export function parseSideMessage(bytes: Uint8Array): string {
  const text = decoder.decode(bytes);
  const m = /^peercam side ([0-9a-f]{16})\n$/.exec(text);
  if (!m) throw new ProtocolError("the relay paired this side with something that is not peercam");
  return m[1]!;
}

/** Options for {@linkcode joinRelay}. */
export interface JoinOptions {
  /** The channel, from {@linkcode relayChannel}. */
  channel: string;
  /** Stops waiting (closes the connection). */
  signal: AbortSignal;
  /** How long to wait for pairing; default {@linkcode PAIR_TIMEOUT_MS}. */
  pairTimeoutMs?: number;
}

/** A connection the relay has paired, with our role in the hello. */
export interface Joined {
  /** The connection, now a pipe to the peer. */
  conn: Deno.TcpConn;
  /** Our role, from {@linkcode relayRole}. */
  role: Role;
}

/**
 * Connects to the relay, asks for the channel with a fresh side id, waits
 * to be paired, then exchanges side ids with the peer to agree on roles.
 *
 * @param relay The relay's address.
 * @param options The channel, an abort signal and the pairing timeout.
 * @returns The paired connection and our role, or null when aborted.
 * @throws {RelayUnavailableError} When the relay cannot pair this side now.
 * @throws {RelayRefusedError} When it refuses or is not a transit relay.
 * @throws {ProtocolError} When what it paired us with is not peercam.
 */
export async function joinRelay(relay: Address, options: JoinOptions): Promise<Joined | null> {
  const { signal } = options;
  if (signal.aborted) return null;
  const attempt = Deno.connect({ hostname: relay.hostname, port: relay.port });
  let conn: Deno.TcpConn | typeof TIMED_OUT;
  try {
    conn = await withTimeout(attempt, CONNECT_TIMEOUT_MS);
  } catch (error) {
    throw new RelayUnavailableError(
      error instanceof Deno.errors.ConnectionRefused ? "connection refused" : messageOf(error),
    );
  }
  if (conn === TIMED_OUT) {
    attempt.then(closeQuietly, () => {});
    throw new RelayUnavailableError("no answer");
  }
  const c = conn;
  if (signal.aborted) {
    // Aborted while connecting: the listener below would never fire.
    closeQuietly(c);
    return null;
  }
  const stop = (): void => closeQuietly(c);
  signal.addEventListener("abort", stop, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    closeQuietly(c);
  }, options.pairTimeoutMs ?? PAIR_TIMEOUT_MS);
  try {
    const side = newSide();
    await c.write(relayRequest(options.channel, side));
    checkRelayAnswer(await readRelayAnswer(c));
    clearTimeout(timer);
    // Paired: the peer is on the other end now; it must answer at once.
    const message = encoder.encode(`${SIDE_PREFIX}${side}\n`);
    await c.write(message);
    const theirs = new Uint8Array(SIDE_MESSAGE_BYTES);
    const read = await withTimeout(readExactly(c, theirs), HANDSHAKE_TIMEOUT_MS);
    if (read === TIMED_OUT) {
      throw new RelayUnavailableError("the peer went quiet right after pairing");
    }
    return { conn: c, role: relayRole(side, parseSideMessage(theirs)) };
  } catch (error) {
    closeQuietly(c);
    if (signal.aborted) return null;
    if (timedOut) throw new RelayUnavailableError("nobody else came to the channel in time");
    if (error instanceof RelayRefusedError || error instanceof ProtocolError) throw error;
    if (error instanceof RelayUnavailableError) throw error;
    throw new RelayUnavailableError(messageOf(error));
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", stop);
  }
}

async function drain(conn: ByteSource): Promise<void> {
  const sink = new Uint8Array(4096);
  try {
    while (await conn.read(sink) !== null) { /* discard */ }
  } catch {
    // Reset or closed: done either way.
  }
}

async function readExactly(conn: ByteSource, into: Uint8Array): Promise<void> {
  for (let off = 0; off < into.length;) {
    const n = await conn.read(into.subarray(off));
    if (n === null) throw new RelayUnavailableError("the peer left right after pairing");
    off += n;
  }
}

/** Options for {@linkcode dialRelay}. */
export interface RelayDialOptions {
  /** Our hello and code (a relay call always has a code). */
  hello: Greeting;
  /** The channel, from {@linkcode relayChannel}. */
  channel: string;
  /** Stops retrying. */
  signal: AbortSignal;
  /** Called after each failed attempt with the reason and the attempt count. */
  onRetry?: (reason: string, attempt: number) => void;
  /** How long one connection waits to be paired; default {@linkcode PAIR_TIMEOUT_MS}. */
  pairTimeoutMs?: number;
  /**
   * Whether a peer that says it is busy is retried rather than fatal: while
   * reconnecting, the peer's lobby (see {@linkcode holdLobby}) may answer
   * before the peer has noticed the lost link.
   */
  retryBusy?: boolean;
}

/** A link through the relay, with the role this side played in its hello. */
export interface RelayLink extends Link {
  /** Our role, from the side ids. */
  role: Role;
}

/**
 * Meets the peer at the relay and greets it: retries (backing off from
 * 250 ms to 2 s) while the relay is unreachable, restarting, or pairs
 * nobody, then runs peercam's hello and key exchange over the relayed
 * connection with the role from the side ids.
 *
 * @param relay The relay's address.
 * @param options Our hello, the channel, an abort signal and a retry callback.
 * @returns The link (its `remote` names the relay), or null when aborted.
 * @throws {CallError} When the relay refuses or is not a transit relay, or
 * the peer at the other end refuses the call.
 */
export async function dialRelay(
  relay: Address,
  options: RelayDialOptions,
): Promise<RelayLink | null> {
  const where = formatAddress(relay);
  let backoff = 250;
  for (let attempt = 1; !options.signal.aborted; attempt++) {
    let reason: string;
    try {
      const joined = await joinRelay(relay, options);
      if (joined === null) return null;
      if (options.signal.aborted) {
        closeQuietly(joined.conn);
        return null;
      }
      const link = await handshake(joined.conn, options.hello, joined.role);
      return {
        ...link,
        conn: withoutHalfClose(link.conn),
        remote: `relay ${where}`,
        role: joined.role,
      };
    } catch (error) {
      if (error instanceof RelayUnavailableError) {
        reason = error.message;
      } else if (error instanceof RelayRefusedError) {
        throw new CallError(`Cannot use relay ${where}: ${error.message}`, { cause: error });
      } else {
        const text = messageOf(error);
        const busy = text === BUSY_TEXT;
        // The peer (or the relay) hung up during the hello: it is
        // restarting, or the relay dropped a spare connection. Retry.
        if (
          !(busy && options.retryBusy) &&
          !/before the hello|during the hello|No hello within/.test(text)
        ) {
          throw new CallError(
            `Cannot call via relay ${where}: ${
              text.replace(/^the /, "the call was refused: the ")
            }`,
            { cause: error },
          );
        }
        reason = busy ? "the peer is still in the old call" : "the peer hung up during the hello";
      }
    }
    if (options.signal.aborted) break;
    options.onRetry?.(reason, attempt);
    await delay(backoff, options.signal);
    backoff = Math.min(backoff * 2, 2000);
  }
  return null;
}

/**
 * The connection, except that half-closing does nothing. The transit relay
 * cannot half-close: when one side half-closes after its goodbye, the relay
 * closes both connections at once, and if the other side's frames are
 * still unread in the relay's socket the kernel resets that connection and
 * drops what the relay had queued for it — the goodbye included (seen as
 * "connection reset" and a wait for a peer that has left). So over a relay
 * the side that says goodbye keeps its connection open and goes on reading
 * until the peer closes, or the hang-up's time limit passes; then it closes.
 *
 * @param conn The relayed connection.
 * @returns A view of it whose `closeWrite` resolves without closing anything.
 */
export function withoutHalfClose(conn: Deno.TcpConn): Deno.TcpConn {
  return new Proxy(conn, {
    get(target, prop) {
      if (prop === "closeWrite") return () => Promise.resolve();
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

// What handshake() says of a BUSY hello.
const BUSY_TEXT = "the peer is already in a call";

/** Options for {@linkcode holdLobby}. */
export interface LobbyOptions {
  /** The channel, from {@linkcode relayChannel}. */
  channel: string;
  /** Our name, sent in the BUSY hello. */
  name: string;
  /** Ends the lobby (at a reconnect or the end of the call). */
  signal: AbortSignal;
  /** Called for each third party turned away. */
  onRefused?: () => void;
}

/**
 * Keeps a connection waiting on the call's channel while a call through
 * the relay is in progress, and tells whoever it is paired with that the
 * call is busy (a BUSY hello, as the listening port does). Without it, a
 * third party with the same code would wait at the relay and be paired with
 * whichever side reconnects next. Only one side of a call holds a lobby (the
 * `acceptor` of the tie-break), or the two lobbies would pair each other.
 *
 * @param relay The relay's address.
 * @param options The channel, our name, a signal and a callback.
 * @returns When `signal` aborts.
 */
export async function holdLobby(relay: Address, options: LobbyOptions): Promise<void> {
  const busy = encodeHello({ flags: HelloFlag.BUSY, name: options.name });
  let backoff = 250;
  while (!options.signal.aborted) {
    let joined: Joined | null = null;
    try {
      joined = await joinRelay(relay, options);
    } catch {
      // Relay down or restarting: the call's own link notices; keep trying.
    }
    if (joined) {
      backoff = 250;
      await joined.conn.write(busy).catch(() => {});
      // Closing while the caller's hello is still unread would make the
      // relay reset the caller's connection and drop the BUSY hello: read
      // until the caller hangs up (it does once it has read BUSY).
      await withTimeout(drain(joined.conn), HANDSHAKE_TIMEOUT_MS);
      closeQuietly(joined.conn);
      options.onRefused?.();
      continue;
    }
    await delay(backoff, options.signal);
    backoff = Math.min(backoff * 2, 2000);
  }
}

/**
 * The path a call is on, for the status line and the stats.
 *
 * @param relay The relay's address when the call goes through it.
 * @returns `direct` or `via relay HOST:PORT`.
 */
export function pathText(relay?: Address): string {
  return relay ? `via relay ${formatAddress(relay)}` : "direct";
}
