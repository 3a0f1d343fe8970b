import { assert, BoundedCache, bytesKey, concatBytes, equalBytes, utf8ToBytes } from "@charter/utils";
import { type WeierstrassPoint, weierstrass } from "@noble/curves/abstract/weierstrass.js";
import { bytesToNumberBE, createHmacDrbg, numberToBytesBE } from "@noble/curves/utils.js";
import { CryptoError } from "./errors.js";
import { hmacSm3, sm3Concat } from "./sm3.js";

/*
 * SM2 digital signatures, GB/T 32918.2-2016 (ISO/IEC 14888-3:2018), over the recommended curve sm2p256v1 of
 * GB/T 32918.5-2017. This is the SM2 scheme itself, not ECDSA over the SM2 curve: the signed value is
 * e = SM3(Z_A ‖ M), r = (e + x1) mod n and s = (1 + d)^-1 (k − r·d) mod n.
 */

/** The prime p of the field of sm2p256v1. */
const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
/** The curve is y^2 = x^3 + a·x + b with a = p − 3. */
const A = P - 3n;
const B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;
/** The order n of the base point G; the cofactor is 1, so every curve point other than O has order n. */
const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const GX = 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n;
const GY = 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n;

/** The order n of the SM2 group (sm2p256v1). */
export const SM2_ORDER = N;

const DEFAULT_USER_ID_TEXT = "1234567812345678";
/**
 * The user ID that GB/T 35276-2017 (and every common SM2 library) uses when the parties agree on none: the 16
 * ASCII bytes "1234567812345678". Do not modify it: the library defaults to its own private copy, so a modified
 * array would only make the caller disagree with the library.
 */
export const SM2_DEFAULT_USER_ID: Uint8Array = utf8ToBytes(DEFAULT_USER_ID_TEXT);
const DEFAULT_USER_ID = utf8ToBytes(DEFAULT_USER_ID_TEXT);

/** ENTL, the bit length of the user ID, is a 16-bit field, so an ID holds at most 8191 whole bytes. */
export const SM2_USER_ID_LENGTH_MAX = 8191;

const SCALAR_LENGTH = 32;
const PRIVATE_KEY_LENGTH = 32;
const PUBLIC_KEY_LENGTH = 65;
const SIGNATURE_LENGTH = 64;
const UNCOMPRESSED_PREFIX = 0x04;

/**
 * How many public keys keep their decoded point and default-ID Z_A. Validators and busy accounts verify the same
 * keys again and again, and an entry (a projective point and 32 bytes) is under 1 KiB, so this costs a few MiB.
 */
const KEY_CACHE_ENTRIES_MAX = 4096;
/**
 * A key that has verified this many valid signatures while in the cache gets its own table of precomputed
 * multiples, which makes t·P_A about three and a half times cheaper (65 additions instead of 256 doublings and
 * ~50 additions) and a whole verification about three times faster. Building the table costs about as much as
 * four verifications, so the threshold keeps the waste under ~15% even if hot keys churn; a validator's key
 * crosses it after 32 votes.
 */
const HOT_KEY_VERIFICATIONS = 32;
/** At most this many keys hold a table at once; a table (width 4: 65 windows × 8 points) takes about 80 KiB. */
const HOT_KEY_ENTRIES_MAX = 256;
const HOT_KEY_WINDOW_BITS = 4;
/**
 * How many signing keys remember their public key, so that signing skips d·G, half its cost. The cache is keyed
 * by SM3("charter/sm2-signer" ‖ d), not by d, so it holds nothing secret.
 */
const SIGNER_CACHE_ENTRIES_MAX = 64;
const SIGNER_CACHE_TAG = utf8ToBytes("charter/sm2-signer");
/**
 * Window width of the base point's fixed tables (noble's default is 6). Width 8 cuts the additions of k·G and s·G
 * by a quarter for about 1.6 MiB of tables (one for the blinded constant-time k·G and d·G, one for s·G), each built
 * once, on the first signature and the first verification, in about 0.1 s.
 */
const BASE_WINDOW_BITS = 8;

const Point = weierstrass({ p: P, n: N, h: 1n, a: A, b: B, Gx: GX, Gy: GY });
type SM2Point = WeierstrassPoint<bigint>;
const Fn = Point.Fn;
const Fp = Point.Fp;
Point.BASE.precompute(BASE_WINDOW_BITS);

/** a ‖ b ‖ xG ‖ yG, the curve part of every Z_A preimage. */
const CURVE_PARAMETERS = concatBytes(
  numberToBytesBE(A, SCALAR_LENGTH),
  numberToBytesBE(B, SCALAR_LENGTH),
  numberToBytesBE(GX, SCALAR_LENGTH),
  numberToBytesBE(GY, SCALAR_LENGTH),
);

/**
 * HMAC-DRBG over HMAC-SM3 (RFC 6979 section 3.2 with SM3 in place of the ECDSA hash), which turns (d, e) into the
 * deterministic nonce. It keeps state only for the duration of one call.
 */
const nonceDrbg = createHmacDrbg<Uint8Array>(32, SCALAR_LENGTH, hmacSm3);

interface KeyEntry {
  /** `bytesKey` of the encoded key, the key of both caches. */
  readonly id: string;
  /** The decoded key, without tables. */
  readonly point: SM2Point;
  /** Z_A for `SM2_DEFAULT_USER_ID`. */
  readonly za: Uint8Array;
  /** Valid signatures verified under this key since it entered the cache. */
  verifications: number;
}
const keyCache = new BoundedCache<KeyEntry>(KEY_CACHE_ENTRIES_MAX);
/**
 * Copies of hot keys' points that carry precomputed tables. noble keeps a point's tables in a WeakMap keyed by the
 * point, so a copy evicted from here takes its table with it, and this cache's size bounds the memory.
 */
const hotPoints = new BoundedCache<SM2Point>(HOT_KEY_ENTRIES_MAX);
/** Public keys of recent signing keys; see `SIGNER_CACHE_ENTRIES_MAX`. */
const signerPublicKeys = new BoundedCache<Uint8Array>(SIGNER_CACHE_ENTRIES_MAX);

/** Options of `sm2Sign`. */
export interface SM2SignOptions {
  /** The signer's user ID; `SM2_DEFAULT_USER_ID` if absent. At most `SM2_USER_ID_LENGTH_MAX` bytes. */
  userId?: Uint8Array;
  /**
   * An explicit nonce, only for reproducing published test vectors. Production signing derives k
   * deterministically from the key and e; a repeated or predictable k reveals the private key.
   */
  k?: bigint;
}

/** Options of `sm2Verify`. */
export interface SM2VerifyOptions {
  /** The signer's user ID; `SM2_DEFAULT_USER_ID` if absent. */
  userId?: Uint8Array;
}

/**
 * A new random SM2 private key: 32 bytes, big-endian, in [1, n − 2] (n − 1 is excluded because signing inverts
 * 1 + d).
 *
 * @example
 * const privateKey = sm2GeneratePrivateKey();
 */
export function sm2GeneratePrivateKey(): Uint8Array {
  // A uniformly random 32-byte string lands outside [1, n − 2] with probability about 2^-32 (n is just below
  // 2^256 − 2^224), so the loop almost never repeats.
  for (;;) {
    const candidate = crypto.getRandomValues(new Uint8Array(PRIVATE_KEY_LENGTH));
    const d = bytesToNumberBE(candidate);
    if (d >= 1n && d <= N - 2n) return candidate;
  }
}

/**
 * The 65-byte uncompressed public key `0x04 ‖ x ‖ y` of P = d·G. Throws `CryptoError("invalid-private-key")` unless
 * the key is 32 bytes and in [1, n − 2].
 *
 * @example
 * sm2PublicKeyFromPrivateKey(privateKey); // Uint8Array(65) [4, ...]
 */
export function sm2PublicKeyFromPrivateKey(privateKey: Uint8Array): Uint8Array {
  return Point.BASE.multiply(privateKeyToScalar(privateKey)).toBytes(false);
}

/**
 * True if `publicKey` is a 65-byte uncompressed encoding `0x04 ‖ x ‖ y` of a point of sm2p256v1 (x, y < p and on
 * the curve). Compressed keys and the point at infinity are not SM2 public keys here.
 *
 * @example
 * isSM2PublicKey(sm2PublicKeyFromPrivateKey(sm2GeneratePrivateKey())); // true
 */
export function isSM2PublicKey(publicKey: Uint8Array): boolean {
  return lookUpKey(publicKey) !== null;
}

/**
 * Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA), the hash of the signer's identity and public key that SM2
 * prefixes to every message (GB/T 32918.2 section 5.5). ENTL_A is the bit length of the ID as two big-endian
 * bytes. Throws `CryptoError("invalid-public-key")` for a key that `isSM2PublicKey` rejects and
 * `CryptoError("invalid-user-id")` for an ID longer than `SM2_USER_ID_LENGTH_MAX` bytes.
 *
 * @example
 * sm2Za(publicKey); // 32 bytes, for the default ID "1234567812345678"
 */
export function sm2Za(publicKey: Uint8Array, userId?: Uint8Array): Uint8Array {
  const entry = lookUpKey(publicKey);
  if (entry === null) {
    throw new CryptoError(
      "invalid-public-key",
      "An SM2 public key must be 65 bytes in uncompressed form (0x04 ‖ x ‖ y) and a point of sm2p256v1.",
    );
  }
  return zaOf(entry, publicKey, checkedUserId(userId)).slice();
}

/**
 * Signs `message` (any length) as SM2 does: e = SM3(Z_A ‖ message), then the 64-byte signature `r ‖ s`, each a
 * 32-byte big-endian integer in [1, n − 1]. The nonce k is deterministic (HMAC-DRBG over HMAC-SM3 seeded with
 * d ‖ (e mod n), as RFC 6979 does for ECDSA), so signing is a pure function of key, ID and message. Throws
 * `CryptoError` for a bad private key ("invalid-private-key"), user ID ("invalid-user-id") or explicit nonce
 * ("invalid-nonce").
 *
 * @example
 * const signature = sm2Sign(new TextEncoder().encode("message digest"), privateKey);
 * sm2Verify(new TextEncoder().encode("message digest"), signature, sm2PublicKeyFromPrivateKey(privateKey)); // true
 */
export function sm2Sign(
  message: Uint8Array,
  privateKey: Uint8Array,
  options: SM2SignOptions = {},
): Uint8Array {
  const d = privateKeyToScalar(privateKey);
  const userId = checkedUserId(options.userId);
  const signerId = bytesKey(sm3Concat([SIGNER_CACHE_TAG, privateKey]));
  let publicKey = signerPublicKeys.get(signerId);
  if (publicKey === undefined) {
    publicKey = Point.BASE.multiply(d).toBytes(false);
    signerPublicKeys.set(signerId, publicKey);
  }
  const entry = lookUpKey(publicKey);
  assert(entry !== null, "d·G is a valid SM2 public key for every d in [1, n − 2]");
  const e = bytesToNumberBE(sm3Concat([zaOf(entry, publicKey, userId), message]));
  const inverse = Fn.inv(d + 1n);
  if (options.k !== undefined) {
    const signature = typeof options.k === "bigint" ? signWithNonce(options.k, e, d, inverse) : undefined;
    if (signature === undefined) {
      throw new CryptoError(
        "invalid-nonce",
        "The explicit SM2 nonce k must be in [1, n − 1] and give r ≠ 0, r + k ≠ n and s ≠ 0; omit it to sign normally.",
      );
    }
    return signature;
  }
  const seed = new Uint8Array(2 * SCALAR_LENGTH);
  seed.set(numberToBytesBE(d, SCALAR_LENGTH), 0);
  seed.set(numberToBytesBE(Fn.create(e), SCALAR_LENGTH), SCALAR_LENGTH);
  return nonceDrbg(seed, (candidate) => signWithNonce(bytesToNumberBE(candidate), e, d, inverse));
}

/**
 * Verifies a 64-byte `r ‖ s` SM2 signature of `message` under a 65-byte uncompressed public key. Returns false,
 * never throws, for anything malformed: wrong lengths or types, a key off the curve, r or s outside [1, n − 1],
 * (r + s) mod n = 0, or an over-long user ID.
 *
 * @example
 * sm2Verify(message, signature, publicKey); // true or false
 */
export function sm2Verify(
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
  options: SM2VerifyOptions = {},
): boolean {
  if (!(message instanceof Uint8Array) || !(signature instanceof Uint8Array)) return false;
  if (signature.length !== SIGNATURE_LENGTH) return false;
  const { userId } = options;
  if (userId !== undefined && (!(userId instanceof Uint8Array) || userId.length > SM2_USER_ID_LENGTH_MAX)) {
    return false;
  }
  const r = bytesToNumberBE(signature.subarray(0, SCALAR_LENGTH));
  const s = bytesToNumberBE(signature.subarray(SCALAR_LENGTH));
  if (r < 1n || r >= N || s < 1n || s >= N) return false;
  const t = Fn.add(r, s);
  if (t === 0n) return false;
  const entry = lookUpKey(publicKey);
  if (entry === null) return false;
  const e = bytesToNumberBE(sm3Concat([zaOf(entry, publicKey, userId ?? DEFAULT_USER_ID), message]));
  const hot = entry.verifications >= HOT_KEY_VERIFICATIONS ? hotPoints.get(entry.id) : undefined;
  // (x1, y1) = s·G + t·P_A. Both scalars are public, so the variable-time multiplication is safe here.
  const sum = Point.BASE.multiplyUnsafe(s).add((hot ?? entry.point).multiplyUnsafe(t));
  if (!hasAffineX(sum, Fn.create(r - e))) return false;
  entry.verifications++;
  if (entry.verifications >= HOT_KEY_VERIFICATIONS && hot === undefined) {
    if (entry.verifications > HOT_KEY_VERIFICATIONS) {
      // The table was evicted while the key was hot: make it earn a new one, so that more hot keys than the
      // cache holds cannot force a table build on every verification.
      entry.verifications = 0;
    } else {
      const { X, Y, Z } = entry.point;
      hotPoints.set(entry.id, new Point(X, Y, Z).precompute(HOT_KEY_WINDOW_BITS));
    }
  }
  return true;
}

/**
 * Whether the affine x of a projective point (X : Y : Z), x = X / Z, satisfies x ≡ c (mod n), tested as
 * X = x·Z (mod p) for the at most two candidates x = c and x = c + n (only if below p) instead of inverting Z.
 * False for the point at infinity.
 */
function hasAffineX(point: SM2Point, c: bigint): boolean {
  if (point.is0()) return false;
  if (Fp.mul(c, point.Z) === point.X) return true;
  const wide = c + N;
  return wide < P && Fp.mul(wide, point.Z) === point.X;
}

/**
 * The signature for nonce k, or undefined when k is out of range or gives one of the degenerate cases the standard
 * retries on (r = 0, r + k = n, s = 0).
 */
function signWithNonce(k: bigint, e: bigint, d: bigint, inverseOfOnePlusD: bigint): Uint8Array | undefined {
  if (k < 1n || k >= N) return undefined;
  const x1 = Point.BASE.multiply(k).toAffine().x;
  const r = Fn.create(e + x1);
  if (r === 0n || r + k === N) return undefined;
  const s = Fn.mul(inverseOfOnePlusD, Fn.sub(k, Fn.mul(r, d)));
  if (s === 0n) return undefined;
  const signature = new Uint8Array(SIGNATURE_LENGTH);
  signature.set(numberToBytesBE(r, SCALAR_LENGTH), 0);
  signature.set(numberToBytesBE(s, SCALAR_LENGTH), SCALAR_LENGTH);
  return signature;
}

function privateKeyToScalar(privateKey: Uint8Array): bigint {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== PRIVATE_KEY_LENGTH) {
    throw new CryptoError("invalid-private-key", "An SM2 private key must be exactly 32 bytes.");
  }
  const d = bytesToNumberBE(privateKey);
  if (d < 1n || d > N - 2n) {
    throw new CryptoError(
      "invalid-private-key",
      "The SM2 private key is out of range: it must be between 1 and the curve order minus 2.",
    );
  }
  return d;
}

function checkedUserId(userId: Uint8Array | undefined): Uint8Array {
  if (userId === undefined) return DEFAULT_USER_ID;
  if (!(userId instanceof Uint8Array) || userId.length > SM2_USER_ID_LENGTH_MAX) {
    throw new CryptoError(
      "invalid-user-id",
      `An SM2 user ID must be a byte array of at most ${SM2_USER_ID_LENGTH_MAX} bytes.`,
    );
  }
  return userId;
}

/** The decoded point and default Z_A of a public key, or null if it is not a valid SM2 public key. */
function lookUpKey(publicKey: Uint8Array): KeyEntry | null {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) return null;
  if (publicKey[0] !== UNCOMPRESSED_PREFIX) return null;
  const cacheKey = bytesKey(publicKey);
  const cached = keyCache.get(cacheKey);
  if (cached !== undefined) return cached;
  let point: SM2Point;
  try {
    // Checks x, y < p and the curve equation; with cofactor 1 that is also subgroup membership.
    point = Point.fromBytes(publicKey);
  } catch {
    return null;
  }
  const entry: KeyEntry = {
    id: cacheKey,
    point,
    za: computeZa(publicKey, DEFAULT_USER_ID),
    verifications: 0,
  };
  keyCache.set(cacheKey, entry);
  return entry;
}

function zaOf(entry: KeyEntry, publicKey: Uint8Array, userId: Uint8Array): Uint8Array {
  return equalBytes(userId, DEFAULT_USER_ID) ? entry.za : computeZa(publicKey, userId);
}

function computeZa(publicKey: Uint8Array, userId: Uint8Array): Uint8Array {
  const bits = userId.length * 8;
  return sm3Concat([Uint8Array.of(bits >>> 8, bits & 0xff), userId, CURVE_PARAMETERS, publicKey.subarray(1)]);
}
