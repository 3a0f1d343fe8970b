import { createServer, type Server } from "node:http";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The node's Prometheus metrics, in a registry of its own (several nodes can share a process in tests). */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly headHeight = new Gauge({
    name: "charter_head_height",
    help: "Height of the latest committed block",
    registers: [this.registry],
  });
  readonly headTimestamp = new Gauge({
    name: "charter_head_timestamp_seconds",
    help: "Timestamp of the latest committed block",
    registers: [this.registry],
  });
  readonly blocksCommitted = new Counter({
    name: "charter_blocks_committed_total",
    help: "Blocks committed",
    registers: [this.registry],
  });
  readonly txsCommitted = new Counter({
    name: "charter_txs_committed_total",
    help: "Transactions committed",
    registers: [this.registry],
  });
  readonly blockCommitSeconds = new Histogram({
    name: "charter_block_produce_seconds",
    help: "Time to build, execute and durably commit a block",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly mempoolPending = new Gauge({
    name: "charter_mempool_pending",
    help: "Executable transactions in the pool",
    registers: [this.registry],
  });
  readonly mempoolQueued = new Gauge({
    name: "charter_mempool_queued",
    help: "Queued (nonce-gapped) transactions in the pool",
    registers: [this.registry],
  });
  readonly txsRejected = new Counter({
    name: "charter_txs_rejected_total",
    help: "Transactions refused at admission or left out of a block",
    labelNames: ["reason"],
    registers: [this.registry],
  });

  /** Read at scrape time; the node sets them once its network and block sync exist. */
  #network: NetworkGauges = { peers: () => 0, syncing: () => false, peersHeight: () => 0 };
  readonly peers: Gauge = new Gauge({
    name: "charter_p2p_peers",
    help: "Connected, authenticated peers",
    registers: [this.registry],
    collect: (): void => this.peers.set(this.#network.peers()),
  });
  readonly syncing: Gauge = new Gauge({
    name: "charter_sync_active",
    help: "1 while the node is catching up by block sync (more than one block behind its peers), else 0",
    registers: [this.registry],
    collect: (): void => this.syncing.set(this.#network.syncing() ? 1 : 0),
  });
  readonly peersHeight: Gauge = new Gauge({
    name: "charter_sync_peers_height",
    help: "Highest head height a connected peer reported",
    registers: [this.registry],
    collect: (): void => this.peersHeight.set(this.#network.peersHeight()),
  });

  observeNetwork(gauges: NetworkGauges): void {
    this.#network = gauges;
  }

  /** Read at scrape time; set when the node runs with consortium certificates (no series without them). */
  #certificates: () => readonly { readonly label: string; readonly seconds: number }[] = () => [];
  readonly certificateExpiry: Gauge = new Gauge({
    name: "charter_certificate_expiry_seconds",
    help: "Seconds until the node's certificate (node), its org CA (org) or the consortium root (root) expires; negative once expired",
    labelNames: ["cert"],
    registers: [this.registry],
    collect: (): void => {
      for (const { label, seconds } of this.#certificates())
        this.certificateExpiry.set({ cert: label }, seconds);
    },
  });

  observeCertificates(source: () => readonly { readonly label: string; readonly seconds: number }[]): void {
    this.#certificates = source;
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "charter_process_" });
  }
}

/** Sources of the network gauges, read at each scrape. */
export interface NetworkGauges {
  readonly peers: () => number;
  readonly syncing: () => boolean;
  readonly peersHeight: () => number;
}

export interface HealthReport {
  readonly status: "ok" | "stalled" | "syncing" | "starting";
  readonly height: number;
  readonly headAgeMs: number;
  readonly chainId: string;
}

/**
 * Serves `/metrics` (Prometheus text format) and `/health` (JSON; HTTP 503 when the chain is stalled or the node is
 * still catching up, so a load balancer sends reads only to nodes at the tip).
 */
export function createMetricsServer(options: {
  readonly host: string;
  readonly port: number;
  readonly metrics: NodeMetrics;
  readonly health: () => HealthReport;
}): { start(): Promise<number>; close(): Promise<void> } {
  const server: Server = createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" }).end();
      return;
    }
    if (url === "/metrics") {
      options.metrics.registry
        .metrics()
        .then((text) =>
          res.writeHead(200, { "content-type": options.metrics.registry.contentType }).end(text),
        )
        .catch((error: unknown) => res.writeHead(500).end(String(error)));
      return;
    }
    if (url === "/health") {
      const report = options.health();
      res
        .writeHead(report.status === "ok" ? 200 : 503, { "content-type": "application/json" })
        .end(JSON.stringify(report));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics or /health\n");
  });
  return {
    start: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port, options.host, () => {
          server.off("error", reject);
          const address = server.address();
          resolve(typeof address === "object" && address ? address.port : options.port);
        });
      }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
