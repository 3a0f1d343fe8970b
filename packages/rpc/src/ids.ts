import { bytesToHex } from "@charter/utils";

/** Makes the ids of filters and subscriptions. Injected so that tests can use predictable ids. */
export type IdGenerator = () => string;

/**
 * 128 random bits as hex, like geth's filter and subscription ids. Unguessable ids matter: filters are shared by
 * all clients of a server, and an id is the only thing that lets a client read or remove one.
 */
export function randomId(): string {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(16)));
}
