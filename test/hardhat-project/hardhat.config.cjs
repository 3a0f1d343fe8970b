/**
 * A Hardhat 2 project that deploys to a Charter node, as an application developer's project would.
 *
 * The `charter` network uses Hardhat's default "remote" accounts (eth_accounts + eth_sendTransaction signed by the
 * devnet node); `charterKey` signs locally with a private key (eth_sendRawTransaction). CHARTER_URL points both at
 * the node under test; CHARTER_KEY overrides the key (default: dev account 1, publicly known).
 *
 * Compilation must work offline: Hardhat normally downloads solc, so the subtask that finds the compiler is
 * replaced by one that returns the solc-js build shipped in the `solc` npm package.
 */
require("@nomicfoundation/hardhat-ethers");
const { subtask } = require("hardhat/config");
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require("hardhat/builtin-tasks/task-names");

const SOLC_VERSION = "0.8.30";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async ({ solcVersion }, _hre, runSuper) => {
  if (solcVersion !== SOLC_VERSION) return runSuper();
  const solc = require("solc");
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: solc.version(),
  };
});

const url = process.env.CHARTER_URL ?? "http://127.0.0.1:8545";
const DEV_KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/** @type import('hardhat/config').HardhatUserConfig */
module.exports = {
  solidity: { version: SOLC_VERSION, settings: { evmVersion: "prague" } },
  defaultNetwork: "charter",
  networks: {
    charter: { url, chainId: 7345 },
    charterKey: { url, chainId: 7345, accounts: [process.env.CHARTER_KEY ?? DEV_KEY_1] },
  },
};
