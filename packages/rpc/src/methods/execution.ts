import { type BlockSelector, parseBlockNumberOrHash, resolveStateHeight } from "../blockTag.js";
import { checkChainId, parseCallRequest, parseOverrides } from "../callRequest.js";
import { RPCError, RPCErrorCode } from "../errors.js";
import { type Hex, hex, quantity } from "../format.js";
import { defineMethod } from "../method.js";
import { optional, required } from "../params.js";
import { revertMessage } from "../revert.js";

/**
 * Calls and gas estimates. A revert is `{code: 3, message: "execution reverted[: reason]", data: "0x…"}` with
 * `data` always present, the shape ethers, viem and Hardhat Ignition decode; any other EVM failure is -32000 with
 * the EVM's message.
 */

const latest: BlockSelector = { kind: "tag", tag: "latest" };

function revertError(returnData: Uint8Array): RPCError {
  return new RPCError(RPCErrorCode.executionReverted, revertMessage(returnData), hex(returnData));
}

export const eth_call = defineMethod({
  name: "eth_call",
  description:
    "Executes a call against the state of a block without creating a transaction; returns its output.",
  params: [
    required("transaction", parseCallRequest),
    optional("block", parseBlockNumberOrHash),
    optional("stateOverrides", parseOverrides("state")),
    optional("blockOverrides", parseOverrides("block")),
  ],
  handler: async ({ backend }, [call, selector]): Promise<Hex> => {
    checkChainId(call, backend.chainId);
    const height = await resolveStateHeight(backend, selector ?? latest);
    const result = await backend.call(call.request, height);
    switch (result.kind) {
      case "success":
        return hex(result.returnData);
      case "revert":
        throw revertError(result.returnData);
      case "error":
        throw new RPCError(RPCErrorCode.invalidInput, result.message);
    }
  },
});

export const eth_estimateGas = defineMethod({
  name: "eth_estimateGas",
  description: "The smallest gas limit with which a transaction would succeed against the state of a block.",
  params: [
    required("transaction", parseCallRequest),
    optional("block", parseBlockNumberOrHash),
    optional("stateOverrides", parseOverrides("state")),
  ],
  handler: async ({ backend }, [call, selector]): Promise<Hex> => {
    checkChainId(call, backend.chainId);
    const height = await resolveStateHeight(backend, selector ?? latest);
    const result = await backend.estimateGas(call.request, height);
    switch (result.kind) {
      case "success":
        return quantity(result.gas);
      case "allowanceExceeded":
        throw new RPCError(RPCErrorCode.invalidInput, `gas required exceeds allowance (${result.allowance})`);
      case "revert":
        throw revertError(result.returnData);
      case "error": {
        // An estimate that runs out of gas at the cap means the cap is too low; say so the way geth does, with the
        // cap the backend searched up to (the request's gas, else the block gas limit).
        if (!/^out of gas/i.test(result.message))
          throw new RPCError(RPCErrorCode.invalidInput, result.message);
        const allowance = call.request.gas ?? (await backend.blockByHeight(height))?.block.header.gasLimit;
        if (allowance === undefined) throw new RPCError(RPCErrorCode.invalidInput, result.message);
        throw new RPCError(RPCErrorCode.invalidInput, `gas required exceeds allowance (${allowance})`);
      }
    }
  },
});
