/**
 * Making the connections of a call: listening, dialling with backoff, and
 * the hello exchange that opens every connection.
 *
 * @module
 */

import type { Address } from "../cli.ts";
import { delay, TIMED_OUT, withTimeout } from "../async.ts";
import { CallError, messageOf, ProtocolError } from "../errors.ts";
import { MessageReader } from "./message_reader.ts";
import { MessageWriter } from "./message_writer.ts";
import { CONFIRM_SIZE, encodeHello, type Hello, HelloFlag, MessageType } from "./protocol.ts";
import { equalBytes, KeyPair, type Role } from "./secure.ts";

/** One open, greeted connection to the peer. */
export interface Link {
  /** The socket. */
  conn: Deno.TcpConn;
  /** Reads the peer's messages. */
  reader: MessageReader;
  /** Writes ours. */
  writer: MessageWriter;
  /** The peer's hello. */
  peer: Hello;
  /** The peer's address, for messages. */
  remote: string;
  /** Whether the connection is encrypted and authenticated with the code. */
  secure: boolean;
}

/** What this side says in its hello, and the code that protects the call. */
export interface Greeting {
  /** Hello flags (without {@linkcode HelloFlag.SECURE}: the code decides). */
  flags: number;
  /** This side's name. */
  name: string;
  /** The call's secret code (canonical form), if it has one. */
  code?: string;
}

/** How long a new connection may take to send its hello. */
export const HANDSHAKE_TIMEOUT_MS = 5000;

/** How long one dial attempt may take before it counts as no answer. */
export const CONNECT_TIMEOUT_MS = 5000;

/**
 * Formats an address as `host:port` (`[v6]:port` for IPv6).
 *
 * @param address The address.
 * @returns The text.
 */
export function formatAddress(address: { hostname: string; port: number }): string {
  return address.hostname.includes(":")
    ? `[${address.hostname}]:${address.port}`
    : `${address.hostname}:${address.port}`;
}

/**
 * Starts listening for the peer.
 *
 * @param address Where to listen.
 * @returns The listener.
 * @throws {CallError} When the port is in use, not allowed, or the host is not local.
 */
export function listen(address: Address): Deno.TcpListener {
  const where = formatAddress(address);
  try {
    return Deno.listen({ hostname: address.hostname, port: address.port, transport: "tcp" });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new CallError(
        `Cannot listen on ${where}: port ${address.port} is already in use ` +
          "(another peercam?); choose another with --listen",
        { cause: error },
      );
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new CallError(
        `Cannot listen on ${where}: permission denied (ports below 1024 need privileges)`,
        { cause: error },
      );
    }
    if (error instanceof Deno.errors.AddrNotAvailable) {
      throw new CallError(
        `Cannot listen on ${where}: that address is not on this machine`,
        { cause: error },
      );
    }
    throw new CallError(`Cannot listen on ${where}: ${messageOf(error)}`, { cause: error });
  }
}

/**
 * Greets a new connection: sends our hello and reads the peer's, within
 * {@linkcode HANDSHAKE_TIMEOUT_MS}, and, with a secret code, runs the key
 * exchange and checks that the peer has the same code before anything else
 * is sent. Sets TCP_NODELAY.
 *
 * @param conn A fresh connection; closed if the handshake fails.
 * @param greeting Our flags, name and code.
 * @param role Whether we dialled (`dialer`) or accepted the connection.
 * @param timeoutMs How long the peer has to answer.
 * @returns The link.
 * @throws {ProtocolError} When the peer's hello is wrong, late or missing,
 * or the peer does not have the same code.
 */
export async function handshake(
  conn: Deno.TcpConn,
  greeting: Greeting,
  role: Role,
  timeoutMs: number = HANDSHAKE_TIMEOUT_MS,
): Promise<Link> {
  const remote = formatAddress(conn.remoteAddr);
  const reader = new MessageReader(conn);
  const writer = new MessageWriter(conn);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, timeoutMs);
  try {
    conn.setNoDelay(true);
    const code = greeting.code;
    const keys = code === undefined ? undefined : await KeyPair.generate();
    const hello = encodeHello({
      flags: greeting.flags | (keys ? HelloFlag.SECURE : 0),
      name: greeting.name,
      publicKey: keys?.publicKey,
    });
    await writer.writeHello(hello);
    const peer = await reader.readHello();
    if (peer.flags & HelloFlag.BUSY) throw new ProtocolError("the peer is already in a call");
    const peerSecure = Boolean(peer.flags & HelloFlag.SECURE);
    if (peerSecure !== (keys !== undefined)) {
      throw new ProtocolError(
        peerSecure
          ? "the peer requires a secret code and this side has none (give both sides the same --secret)"
          : "the peer has no secret code and this side requires one (give both sides the same --secret)",
      );
    }
    if (keys && code !== undefined) {
      const transcript = role === "dialer"
        ? concat(hello, peer.bytes!)
        : concat(peer.bytes!, hello);
      let session;
      try {
        session = await keys.derive(peer.publicKey!, code, transcript, role);
      } catch (error) {
        throw new ProtocolError(`Invalid hello: ${messageOf(error)}`);
      }
      await writer.writeConfirm(session.confirm);
      const header = await reader.readHeader();
      if (header === null || header.type !== MessageType.CONFIRM) {
        throw new ProtocolError("the peer did not confirm the key exchange");
      }
      const confirm = new Uint8Array(CONFIRM_SIZE);
      await reader.readPayload(confirm);
      if (!equalBytes(confirm, session.expected)) {
        throw new ProtocolError(
          "the secret codes differ (both sides must use the same --secret)",
        );
      }
      writer.secure(session.send);
      reader.secure(session.receive);
    }
    return { conn, reader, writer, peer, remote, secure: keys !== undefined };
  } catch (error) {
    if (!timedOut) closeQuietly(conn);
    if (timedOut) throw new ProtocolError(`No hello within ${timeoutMs} ms`);
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError(`Connection failed during the hello: ${messageOf(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Options for {@linkcode dialPeer}. */
export interface DialOptions {
  /** Our hello and code. */
  hello: Greeting;
  /** Stops retrying. */
  signal: AbortSignal;
  /** Called after each failed attempt with the reason and the attempt count. */
  onRetry?: (reason: string, attempt: number) => void;
}

/**
 * Dials the peer until it answers, backing off from 250 ms to 2 s between
 * attempts.
 *
 * @param address The peer.
 * @param options Our hello, an abort signal and a retry callback.
 * @returns The link, or null when aborted.
 * @throws {CallError} When something answers that is not a peercam peer.
 */
export async function dialPeer(address: Address, options: DialOptions): Promise<Link | null> {
  let backoff = 250;
  for (let attempt = 1; !options.signal.aborted; attempt++) {
    let conn: Deno.TcpConn | undefined;
    let reason: string;
    try {
      conn = await connectWithTimeout(address, CONNECT_TIMEOUT_MS);
    } catch (error) {
      reason = error instanceof Deno.errors.ConnectionRefused
        ? "connection refused"
        : messageOf(error);
    }
    if (conn !== undefined) {
      if (options.signal.aborted) {
        closeQuietly(conn);
        return null;
      }
      try {
        return await handshake(conn, options.hello, "dialer");
      } catch (error) {
        // A peer that hangs up before its hello is busy or restarting: retry.
        // Anything else that answers with the wrong bytes is not peercam.
        const text = messageOf(error);
        if (!/before the hello|during the hello/.test(text)) {
          throw new CallError(
            `Cannot call ${formatAddress(address)}: ${
              text.replace(/^the /, "the call was refused: the ")
            }`,
            { cause: error },
          );
        }
        reason = "it hung up during the hello";
      }
    }
    options.onRetry?.(reason!, attempt);
    await delay(backoff, options.signal);
    backoff = Math.min(backoff * 2, 2000);
  }
  return null;
}

async function connectWithTimeout(address: Address, timeoutMs: number): Promise<Deno.TcpConn> {
  const attempt = Deno.connect({ hostname: address.hostname, port: address.port });
  const conn = await withTimeout(attempt, timeoutMs);
  if (conn !== TIMED_OUT) return conn;
  // A connection that completes after the timeout must not leak.
  attempt.then(closeQuietly, () => {});
  throw new Error("no answer");
}

/** Closes a connection, ignoring an already-closed one. */
export function closeQuietly(conn: { close(): void }): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
