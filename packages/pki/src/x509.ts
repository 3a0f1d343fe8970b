/**
 * The one place @peculiar/x509 is set up. It resolves its algorithm providers through tsyringe, which needs the
 * Reflect metadata polyfill loaded first, and it signs through WebCrypto, which Node provides. Every module of
 * this package imports `x509` from here, so the order holds whoever imports the package first.
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
