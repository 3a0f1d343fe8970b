import { RPCError, RPCErrorCode } from "../errors.js";
import { type LogCriteria, parseLogCriteria } from "../logFilter.js";
import { defineMethod, type MethodContext } from "../method.js";
import {
  jsonTypeName,
  optional,
  ParamError,
  parseArgument,
  parseBool,
  parseId,
  parseObject,
  required,
} from "../params.js";
import { type SubscriptionKind, type SubscriptionSet, subscriptionKinds } from "../subscriptions.js";

/** WebSocket subscriptions. Over HTTP there is no channel for notifications, so both methods refuse (as geth does). */

function subscriptionsOf({ session }: MethodContext): SubscriptionSet {
  if (session.subscriptions === undefined)
    throw new RPCError(RPCErrorCode.methodNotFound, "notifications not supported");
  return session.subscriptions;
}

function parseKind(value: unknown): SubscriptionKind {
  if (typeof value !== "string")
    throw new ParamError(`expected a subscription name, got ${jsonTypeName(value)}`);
  const kind = subscriptionKinds.find((k) => k === value);
  if (kind === undefined) {
    throw new ParamError(
      `no ${JSON.stringify(value.slice(0, 64))} subscription; want ${subscriptionKinds.join(", ")}`,
    );
  }
  return kind;
}

/** fromBlock/toBlock are ignored: a subscription delivers the logs of blocks committed from now on. */
function parseLogsOptions(value: unknown): LogCriteria {
  return parseLogCriteria(parseObject(value));
}

export const eth_subscribe = defineMethod({
  name: "eth_subscribe",
  description:
    "WebSocket only: subscribes to newHeads, logs (options {address, topics}) or newPendingTransactions (option true for full objects).",
  // The options depend on the subscription kind, so they are parsed in the handler.
  params: [required("subscription", parseKind), optional("options", (value: unknown) => value)],
  handler: (context, [kind, options]): string => {
    const subscriptions = subscriptionsOf(context);
    switch (kind) {
      case "newHeads":
        if (options !== undefined)
          throw new RPCError(RPCErrorCode.invalidParams, "invalid argument 1: newHeads takes no options");
        return subscriptions.subscribe({ kind });
      case "logs": {
        const criteria =
          options === undefined ? { addresses: [], topics: [] } : parseArgument(1, options, parseLogsOptions);
        return subscriptions.subscribe({ kind, criteria });
      }
      case "newPendingTransactions": {
        const full = options === undefined ? false : parseArgument(1, options, parseBool);
        return subscriptions.subscribe({ kind, full });
      }
    }
  },
});

export const eth_unsubscribe = defineMethod({
  name: "eth_unsubscribe",
  description: "WebSocket only: cancels a subscription of this connection; false if there was none.",
  params: [required("subscriptionId", parseId)],
  handler: (context, [id]): boolean => subscriptionsOf(context).unsubscribe(id),
});
