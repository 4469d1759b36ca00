/**
 * The secure channel: a key exchange authenticated by the shared code, and
 * AES-GCM for every message after it. WebCrypto only (X25519, HKDF-SHA-256,
 * AES-256-GCM); `docs/PROTOCOL.md` gives the design and its threat model.
 *
 * @module
 */

import { CONFIRM_SIZE } from "./protocol.ts";

/** Bytes of an AES-GCM tag: what sealing adds to every message. */
export const TAG_SIZE = 16;

/** Which end of the connection this side is: the transcript is ordered by it. */
export type Role = "dialer" | "acceptor";

const encoder = new TextEncoder();

/** An ephemeral X25519 key pair, one per connection. */
export class KeyPair {
  /** The public half, sent in the hello. */
  readonly publicKey: Uint8Array<ArrayBuffer>;
  #private: CryptoKey;

  private constructor(publicKey: Uint8Array<ArrayBuffer>, privateKey: CryptoKey) {
    this.publicKey = publicKey;
    this.#private = privateKey;
  }

  /** Makes a fresh key pair. */
  static async generate(): Promise<KeyPair> {
    const pair = await crypto.subtle.generateKey({ name: "X25519" }, true, [
      "deriveBits",
    ]) as CryptoKeyPair;
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    return new KeyPair(raw, pair.privateKey);
  }

  /**
   * Derives the connection's keys from the X25519 secret, the code and
   * the transcript of both hellos.
   *
   * @param peerPublic The peer's public key.
   * @param code The shared code, canonical form.
   * @param transcript The dialer's hello followed by the acceptor's.
   * @param role This side's role.
   * @returns The keys.
   * @throws {RangeError} When the peer's public key is not a valid X25519 key.
   */
  async derive(
    peerPublic: Uint8Array<ArrayBuffer>,
    code: string,
    transcript: Uint8Array<ArrayBuffer>,
    role: Role,
  ): Promise<SessionKeys> {
    let shared: ArrayBuffer;
    try {
      const peer = await crypto.subtle.importKey("raw", peerPublic, { name: "X25519" }, false, []);
      shared = await crypto.subtle.deriveBits({ name: "X25519", public: peer }, this.#private, 256);
    } catch {
      throw new RangeError("the peer's public key is not a valid X25519 key");
    }
    const ikm = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveBits"]);
    const salt = await crypto.subtle.digest("SHA-256", encoder.encode(`peercam v2 code ${code}`));
    const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", transcript));
    const expand = async (label: string, bits: number): Promise<ArrayBuffer> => {
      const info = new Uint8Array([...encoder.encode(`peercam v2 ${label} `), ...hash]);
      return await crypto.subtle.deriveBits(
        { name: "HKDF", hash: "SHA-256", salt, info },
        ikm,
        bits,
      );
    };
    const aes = async (label: string) =>
      await crypto.subtle.importKey("raw", await expand(label, 256), "AES-GCM", false, [
        "encrypt",
        "decrypt",
      ]);
    const [dialerKey, acceptorKey] = await Promise.all([aes("dialer key"), aes("acceptor key")]);
    const [dialerConfirm, acceptorConfirm] = await Promise.all([
      expand("dialer confirm", CONFIRM_SIZE * 8),
      expand("acceptor confirm", CONFIRM_SIZE * 8),
    ]);
    const mine = role === "dialer";
    return {
      send: new Sealer(mine ? dialerKey : acceptorKey),
      receive: new Opener(mine ? acceptorKey : dialerKey),
      confirm: new Uint8Array(mine ? dialerConfirm : acceptorConfirm),
      expected: new Uint8Array(mine ? acceptorConfirm : dialerConfirm),
    };
  }
}

/** What a connection's key exchange yields. */
export interface SessionKeys {
  /** Seals what this side sends. */
  send: Sealer;
  /** Opens what the peer sends. */
  receive: Opener;
  /** This side's key confirmation, sent to the peer. */
  confirm: Uint8Array<ArrayBuffer>;
  /** The confirmation the peer must send: it proves the peer has the same code. */
  expected: Uint8Array<ArrayBuffer>;
}

/**
 * Compares two byte strings in time that does not depend on where they differ.
 *
 * @param a One.
 * @param b The other.
 * @returns Whether they are equal.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

// The nonce is the message's number in its direction: a replayed, dropped or
// reordered message is opened with the wrong nonce and fails.
function nonce(counter: number, into: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  new DataView(into.buffer).setBigUint64(4, BigInt(counter));
  return into;
}

/** Seals messages in one direction (AES-256-GCM, counter nonces). */
export class Sealer {
  #key: CryptoKey;
  #counter = 0;
  #iv = new Uint8Array(12);

  /** @param key The direction's AES-GCM key. */
  constructor(key: CryptoKey) {
    this.#key = key;
  }

  /**
   * Encrypts `plaintext`, authenticating `header` with it. Call in wire order.
   *
   * @param header The message header (its length already counts the tag).
   * @param plaintext The payload.
   * @returns Ciphertext followed by the tag.
   */
  async seal(
    header: Uint8Array<ArrayBuffer>,
    plaintext: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const iv = nonce(this.#counter++, this.#iv);
    return new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: header },
        this.#key,
        plaintext,
      ),
    );
  }
}

/** Opens messages in one direction. */
export class Opener {
  #key: CryptoKey;
  #counter = 0;
  #iv = new Uint8Array(12);

  /** @param key The direction's AES-GCM key. */
  constructor(key: CryptoKey) {
    this.#key = key;
  }

  /**
   * Decrypts and authenticates the next message.
   *
   * @param header The message header as received.
   * @param sealed Ciphertext followed by the tag.
   * @returns The plaintext, or null when the message was tampered with,
   * replayed, reordered or sealed with another key.
   */
  async open(
    header: Uint8Array<ArrayBuffer>,
    sealed: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array<ArrayBuffer> | null> {
    const iv = nonce(this.#counter++, this.#iv);
    try {
      return new Uint8Array(
        await crypto.subtle.decrypt(
          { name: "AES-GCM", iv, additionalData: header },
          this.#key,
          sealed,
        ),
      );
    } catch {
      return null;
    }
  }
}
