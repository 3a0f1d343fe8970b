import { type Block, type CommitCertificate, encodeHeader, type VerifiedTx } from "@charter/types";
import { assert, bytesToHex, equalBytes } from "@charter/utils";
import type { BlockApplication, ExecutedBlockLike } from "./application.js";
import type { Clock } from "./clock.js";
import {
  ConsensusCore,
  type ConsensusCrypto,
  type ConsensusOutput,
  type ConsensusTimeouts,
  type RoundStep,
  type TimeoutStep,
} from "./consensusCore.js";
import type { ConsensusWAL } from "./consensusWAL.js";
import { ConsensusError } from "./errors.js";
import type { CommitMessage, ConsensusMessage } from "./messages.js";
import type { ValidatorSet } from "./validatorSet.js";
import { blockKey } from "./voteSet.js";

/**
 * How the engine reaches the other validators. The node implements it over p2p (encoding messages is its job);
 * tests implement it in memory. Delivery may be lossy, late and reordered: the core re-sends what matters.
 */
export interface ConsensusTransport<Value> {
  /** To every other validator; never delivered back to this node. */
  broadcast(message: ConsensusMessage<Value>): void;
  /** To one peer, named as `onMessage` named it. */
  send(to: string, message: ConsensusMessage<Value>): void;
  /** Registers the receiver of every incoming message; returns a function that unregisters it. */
  onMessage(handler: (from: string, message: ConsensusMessage<Value>) => void): () => void;
}

/** The log calls the engine makes; pino's `Logger` fits. */
export interface ConsensusLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** The `BlockApplication` plus what a BFT engine needs beyond a solo producer. */
export interface EngineApplication<Executed extends ExecutedBlockLike> extends BlockApplication<Executed> {
  /**
   * The certificate that committed the head block (`null` at genesis); the next proposal carries it as
   * `lastCommit`. `commit(executed, certificate)` must store it durably with the block, so this survives restarts.
   */
  headCertificate(): CommitCertificate | null;
}

export interface ConsensusEngineOptions {
  readonly chainId: bigint;
  /** This validator's address. */
  readonly address: Uint8Array;
  readonly timeouts?: ConsensusTimeouts;
  /**
   * Target time from the start of one height to the start of the next: after a commit the engine pauses for what
   * is left of it (CometBFT's `timeout_commit`, less the time the height already took), which paces blocks that
   * would otherwise be cut as fast as the network allows, empty or not. Skipped while a peer is known to be at a
   * later height, so a node that is behind catches up at one height per exchange instead of one per interval.
   * Every node pauses before it starts the height, so the pause does not count against the propose timeout.
   */
  readonly blockIntervalMs?: number;
  /** Recently committed blocks with their certificates, to answer peers that are behind after a restart. */
  readonly recentDecisions?: readonly CommitMessage<Block>[];
}

export interface ConsensusEngineModules<Executed extends ExecutedBlockLike> {
  readonly app: EngineApplication<Executed>;
  readonly transport: ConsensusTransport<Block>;
  readonly wal: ConsensusWAL<Block>;
  readonly clock: Clock;
  readonly crypto: ConsensusCrypto;
  /** Signs a 32-byte digest with this validator's key; deterministic (RFC 6979). */
  readonly sign: (digest: Uint8Array) => Uint8Array;
  /** The validator set in force at `height`. */
  readonly validatorSet: (height: number) => ValidatorSet;
  /** Candidate transactions for this node's next proposal, in the order to try them. */
  readonly selectTransactions: () => Iterable<VerifiedTx>;
  /** Called after each commit, before the next height starts (e.g. to update the pool). */
  readonly afterCommit?: (executed: Executed, certificate: CommitCertificate) => void;
  readonly logger: ConsensusLogger;
  /** The engine stopped on a failure it cannot continue from; the node should shut down. */
  readonly onFatal?: (error: ConsensusError) => void;
}

/**
 * The I/O shell around `ConsensusCore`: it turns transport messages, timer expiries and application results into
 * core inputs, and carries out the core's outputs strictly in order. A `persist` output is awaited (the WAL makes
 * it durable) before any output after it runs, so no signed message leaves before the sign state that forbids
 * signing its slot again is on disk (spec section 8). Application calls (propose, validate, commit) run one at a
 * time, because they all execute against the chain's single head.
 *
 * @example
 * const engine = new ConsensusEngine({ chainId, address }, { app, transport, wal, clock, crypto, sign, validatorSet, selectTransactions, logger });
 * engine.start();
 * // ...
 * await engine.stop();
 */
/** Least time between two catch-up answers to one peer for one height. */
export const CATCH_UP_RESEND_MS = 1_000;
/** Catch-up answers remembered for rate limiting; the table is simply reset when it fills. */
const CATCH_UP_TRACKED_MAX = 4_096;
/** Equivocation slots already logged at warn level; the table is reset when it fills and when the height moves on. */
const EQUIVOCATIONS_TRACKED_MAX = 4_096;

export class ConsensusEngine<Executed extends ExecutedBlockLike> {
  readonly #options: ConsensusEngineOptions;
  readonly #modules: ConsensusEngineModules<Executed>;
  #core: ConsensusCore<Block> | undefined;
  #running = false;
  #unsubscribe: (() => void) | undefined;
  readonly #outputs: ConsensusOutput<Block>[] = [];
  #draining: Promise<void> | undefined;
  #appTail: Promise<void> = Promise.resolve();
  readonly #busy = new Set<Promise<void>>();
  /** Executions of this height's blocks by hash, so a decided block is committed without running it again. */
  readonly #executed = new Map<string, Executed>();
  readonly #timers = new Map<string, { readonly height: number; readonly cancel: () => void }>();
  /** When each (peer, height) catch-up was last sent, to send a decided block to a lagging peer once a while. */
  readonly #catchUpSentAt = new Map<string, number>();
  /** (validator, round, type) of the equivocations logged at `#equivocationHeight`, so each is warned about once. */
  readonly #equivocationsLogged = new Set<string>();
  #equivocationHeight = 0;
  #lastCommit: CommitCertificate | null = null;
  /** Highest height any peer's message carried: tells whether this node is behind. */
  #peerHeightMax = 0;
  /** When this node started its current height: the block interval counts from there. */
  #heightStartedMs = 0;

  constructor(options: ConsensusEngineOptions, modules: ConsensusEngineModules<Executed>) {
    this.#options = options;
    this.#modules = modules;
  }

  get height(): number {
    return this.#core?.height ?? 0;
  }
  get round(): number {
    return this.#core?.round ?? 0;
  }
  get roundStep(): RoundStep | undefined {
    return this.#core?.roundStep;
  }
  get running(): boolean {
    return this.#running;
  }

  /**
   * Reads the sign state back (throwing `corrupt-sign-state` on a damaged record, so the node does not start) and
   * starts the height after the application's head.
   */
  start(): void {
    if (this.#running) return;
    const { app, wal, crypto, sign, transport, validatorSet, logger } = this.#modules;
    const recovered = wal.load();
    this.#core = new ConsensusCore<Block>(
      {
        chainId: this.#options.chainId,
        address: this.#options.address,
        recovered,
        ...(this.#options.timeouts === undefined ? {} : { timeouts: this.#options.timeouts }),
        ...(this.#options.recentDecisions === undefined
          ? {}
          : { recentDecisions: this.#options.recentDecisions }),
      },
      { crypto, sign, hashValue: (block) => crypto.hash(encodeHeader(block.header)) },
    );
    this.#lastCommit = app.headCertificate();
    this.#running = true;
    this.#unsubscribe = transport.onMessage((from, message) => this.#feedMessage(from, message));
    const height = app.headHeight() + 1;
    logger.info(
      { height, recoveredHeight: recovered?.height ?? null, recoveredRound: recovered?.round ?? null },
      "consensus engine started",
    );
    this.#feed({ type: "startHeight", height, validators: validatorSet(height) });
  }

  /** Whether the core already holds this exact proposal of its current height (`ConsensusCore.holdsProposal`). */
  holdsProposal(height: number, round: number, signature: Uint8Array): boolean {
    return this.#core?.holdsProposal(height, round, signature) ?? false;
  }

  /** Stops taking inputs, cancels timers and waits for the application call and the durable write in flight. */
  async stop(): Promise<void> {
    this.#halt();
    await this.settled();
  }

  /** Resolves once no output, WAL write or application call is in flight (tests and shutdown use it). */
  async settled(): Promise<void> {
    while (this.#busy.size > 0) await Promise.allSettled([...this.#busy]);
  }

  #halt(): void {
    this.#running = false;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
    this.#outputs.length = 0;
  }

  #fail(error: unknown): void {
    const failure =
      error instanceof ConsensusError
        ? error
        : new ConsensusError(
            "engine-failed",
            `The consensus engine stopped: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
    this.#modules.logger.error({ err: failure, height: this.height }, "consensus engine stopped");
    this.#halt();
    this.#modules.onFatal?.(failure);
  }

  #feedMessage(from: string, message: ConsensusMessage<Block>): void {
    const height = message.kind === "commit" ? message.certificate.height : message.height;
    if (Number.isSafeInteger(height) && height > this.#peerHeightMax) this.#peerHeightMax = height;
    this.#feed({ type: "message", from, message });
  }

  #feed(input: Parameters<ConsensusCore<Block>["step"]>[0]): void {
    if (!this.#running || this.#core === undefined) return;
    if (input.type === "startHeight" || input.type === "blockCommitted")
      this.#heightStartedMs = this.#modules.clock.now();
    let outputs: ConsensusOutput<Block>[];
    try {
      outputs = this.#core.step(input);
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#outputs.push(...outputs);
    if (this.#draining === undefined && this.#outputs.length > 0) this.#draining = this.#track(this.#drain());
  }

  #track(promise: Promise<void>): Promise<void> {
    this.#busy.add(promise);
    void promise.finally(() => this.#busy.delete(promise));
    return promise;
  }

  /** Carries out outputs one by one, in the order the core produced them, across inputs. */
  async #drain(): Promise<void> {
    try {
      while (this.#running) {
        const output = this.#outputs.shift();
        if (output === undefined) break;
        await this.#carryOut(output);
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#draining = undefined;
    }
  }

  async #carryOut(output: ConsensusOutput<Block>): Promise<void> {
    const { transport, logger } = this.#modules;
    switch (output.type) {
      case "persist":
        // Awaited: every output after this one (the signed message first) waits until the record is durable.
        await this.#modules.wal.persist(output.record);
        return;
      case "broadcast":
        transport.broadcast(output.message);
        return;
      case "send": {
        // The core answers every message from a peer that is behind with the decided block. Right after each
        // commit the late votes of the decided height arrive from every peer, and answering each one with a full
        // block (which the peer must decode) swamps both sides; one answer per peer and height per interval is
        // enough, and the peer asks again by its next message if the first was lost.
        const key = `${output.to}:${output.message.certificate.height}`;
        const now = this.#modules.clock.now();
        const last = this.#catchUpSentAt.get(key);
        if (last !== undefined && now - last < CATCH_UP_RESEND_MS) return;
        if (this.#catchUpSentAt.size >= CATCH_UP_TRACKED_MAX) this.#catchUpSentAt.clear();
        this.#catchUpSentAt.set(key, now);
        transport.send(output.to, output.message);
        return;
      }
      case "scheduleTimeout":
        this.#schedule(output.height, output.round, output.step, output.durationMs);
        return;
      case "requestProposal": {
        // The budget counts from the request: the build may first wait for an application call in progress.
        const deadlineMs = this.#modules.clock.now() + output.budgetMs;
        this.#runApp(() => this.#propose(output.height, output.round, deadlineMs));
        return;
      }
      case "requestValidation":
        logger.debug(
          { height: output.height, txs: output.value.transactions.length },
          "proposed block received",
        );
        this.#runApp(() => this.#validate(output.height, output.blockHash, output.value));
        return;
      case "commit": {
        const decidedMs = this.#modules.clock.now();
        this.#runApp(() => this.#commit(output.height, output.value, output.certificate, decidedMs));
        return;
      }
      case "rejected":
        logger.debug({ from: output.from, reason: output.error.message }, "consensus message rejected");
        return;
      case "equivocation": {
        // Once per slot: a byzantine validator past the per-slot vote cap has its dropped votes reported again on
        // every copy that arrives (rebroadcast, relays), and one warning per copy would flood the log.
        const { validator, height, round, type } = output.first;
        const fields = { validator: bytesToHex(validator), height, round, type };
        if (
          height !== this.#equivocationHeight ||
          this.#equivocationsLogged.size >= EQUIVOCATIONS_TRACKED_MAX
        ) {
          this.#equivocationsLogged.clear();
          this.#equivocationHeight = height;
        }
        const slot = `${fields.validator}/${round}/${type}`;
        if (this.#equivocationsLogged.has(slot)) {
          logger.debug(fields, "validator signed two different votes for one slot (again)");
          return;
        }
        this.#equivocationsLogged.add(slot);
        logger.warn(fields, "validator signed two different votes for one slot");
        return;
      }
    }
  }

  #schedule(height: number, round: number, step: TimeoutStep, durationMs: number): void {
    const key = `${height}/${round}/${step}`;
    this.#timers.get(key)?.cancel();
    const cancel = this.#modules.clock.setTimer(durationMs, () => {
      this.#timers.delete(key);
      this.#feed({ type: "timeout", height, round, step });
    });
    this.#timers.set(key, { height, cancel });
  }

  /** Application calls run one at a time: each executes against the head the previous one may have moved. */
  #runApp(task: () => Promise<void>): void {
    const next = this.#appTail.then(async () => {
      if (this.#running) await task();
    });
    this.#appTail = next.catch(() => undefined);
    void this.#track(next.catch((error: unknown) => this.#fail(error)));
  }

  async #propose(height: number, round: number, deadlineMs: number): Promise<void> {
    const core = this.#core!;
    if (core.height !== height || core.round !== round) return;
    const { app, clock, logger } = this.#modules;
    const lastCommit = this.#lastCommit;
    assert(
      height === 1 ? lastCommit === null : lastCommit !== null && lastCommit.height === height - 1,
      "the certificate for the next proposal is not the parent's",
    );
    let executed: Executed;
    const startedMs = clock.now();
    try {
      executed = await app.propose({
        timestampMs: clock.now(),
        proposer: this.#options.address,
        // Candidates stop when the budget is spent: a smaller block in time beats a full one after the others
        // have timed out (spec section 7).
        transactions: untilDeadline(this.#modules.selectTransactions(), clock, deadlineMs),
        lastCommit,
      });
    } catch (error) {
      // Not fatal: the propose timeout makes every validator prevote nil and the next proposer tries.
      logger.error({ err: error, height, round }, "building a proposal failed");
      return;
    }
    this.#remember(executed);
    logger.debug(
      { height, round, txs: executed.block.transactions.length, ms: clock.now() - startedMs },
      "proposal built",
    );
    this.#feed({ type: "proposalBuilt", height, round, value: executed.block });
  }

  async #validate(height: number, blockHash: Uint8Array, block: Block): Promise<void> {
    if (this.#core!.height !== height) return;
    let valid = false;
    const startedMs = this.#modules.clock.now();
    try {
      const executed = await this.#modules.app.validate(block);
      valid = equalBytes(executed.hash, blockHash);
      if (valid) this.#remember(executed);
      this.#modules.logger.debug(
        {
          height,
          round: this.#core!.round,
          txs: block.transactions.length,
          valid,
          ms: this.#modules.clock.now() - startedMs,
        },
        "proposal validated",
      );
    } catch (error) {
      this.#modules.logger.info(
        {
          height,
          block: bytesToHex(blockHash),
          reason: error instanceof Error ? error.message : String(error),
        },
        "proposed block is invalid",
      );
    }
    this.#feed({ type: "blockValidated", height, blockHash, valid });
  }

  async #commit(
    height: number,
    block: Block,
    certificate: CommitCertificate,
    decidedMs: number,
  ): Promise<void> {
    const { app, validatorSet, logger, clock } = this.#modules;
    const startedMs = clock.now();
    assert(
      app.headHeight() === height - 1,
      "consensus decided a block that is not on the application's head",
    );
    // A value restored from the sign state after a restart was validated before the crash but not executed since.
    const executed = this.#executed.get(blockKey(certificate.blockHash)) ?? (await app.validate(block));
    assert(
      equalBytes(executed.hash, certificate.blockHash),
      "the decided block's execution has another hash",
    );
    await app.commit(executed, certificate);
    this.#lastCommit = certificate;
    this.#executed.clear();
    for (const [key, t] of this.#timers)
      if (t.height <= height) {
        t.cancel();
        this.#timers.delete(key);
      }
    logger.debug(
      {
        height,
        round: certificate.round,
        txs: block.transactions.length,
        signatures: certificate.signatures.length,
        waitedMs: startedMs - decidedMs,
        ms: clock.now() - startedMs,
      },
      "block committed",
    );
    this.#modules.afterCommit?.(executed, certificate);
    const next = () =>
      this.#feed({ type: "blockCommitted", height, nextValidators: validatorSet(height + 1) });
    // The interval counts from the start of the height just decided: a height that took longer than the interval
    // is followed at once, so under load blocks are cut back to back rather than one interval after each commit.
    const intervalLeftMs =
      (this.#options.blockIntervalMs ?? 0) - (this.#modules.clock.now() - this.#heightStartedMs);
    const pauseMs = this.#peerHeightMax > height ? 0 : Math.max(0, intervalLeftMs);
    if (pauseMs === 0) {
      next();
      return;
    }
    const key = `${height + 1}/pause`;
    const cancel = this.#modules.clock.setTimer(pauseMs, () => {
      this.#timers.delete(key);
      next();
    });
    this.#timers.set(key, { height: height + 1, cancel });
  }

  #remember(executed: Executed): void {
    if (executed.block.header.height === this.#core!.height)
      this.#executed.set(blockKey(executed.hash), executed);
  }
}

/** The items of `items` drawn before `clock` reaches `deadlineMs`. */
function* untilDeadline<T>(items: Iterable<T>, clock: Clock, deadlineMs: number): Generator<T> {
  for (const item of items) {
    if (clock.now() >= deadlineMs) return;
    yield item;
  }
}
