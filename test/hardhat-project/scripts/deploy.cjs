/**
 * Deploys Counter, calls it and reads it back, once with the network's own accounts (Hardhat's remote accounts on
 * `charter`, locally signed ones on `charterKey`) and once with an explicit private-key Wallet; prints one line
 * `CHARTER_RESULT {json}` for the end-to-end test to read.
 */
const hre = require("hardhat");

// Dev account 2 of the well-known mnemonic: publicly known, funded on every Charter devnet.
const EXPLICIT_KEY =
  process.env.CHARTER_EXPLICIT_KEY ?? "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

async function exercise(kind, signer) {
  const { ethers } = hre;
  const factory = await ethers.getContractFactory("Counter", signer);
  const counter = await factory.deploy(10n);
  await counter.waitForDeployment();
  const deployTx = counter.deploymentTransaction();
  const deployReceipt = await deployTx.wait();

  const receipts = [];
  for (const tx of [await counter.increment(), await counter.incrementBy(5n)]) receipts.push(await tx.wait());
  const events = receipts.flatMap((receipt) =>
    receipt.logs
      .map((log) => counter.interface.parseLog(log))
      .filter((parsed) => parsed !== null)
      .map((parsed) => ({ name: parsed.name, by: parsed.args[0], count: parsed.args[1].toString() })),
  );

  let customError = null;
  try {
    await counter.incrementBy.staticCall(1000n);
  } catch (error) {
    const decoded = error.revert ?? counter.interface.parseError(error.data);
    customError = decoded ? { name: decoded.name, args: decoded.args.map((a) => a.toString()) } : null;
  }

  return {
    kind,
    from: await signer.getAddress(),
    address: await counter.getAddress(),
    deployTx: deployTx.hash,
    deployStatus: deployReceipt.status,
    deployFrom: deployReceipt.from,
    txTypes: [deployTx.type, ...receipts.map((r) => r.type)],
    statuses: receipts.map((r) => r.status),
    count: (await counter.count()).toString(),
    lastCaller: await counter.lastCaller(),
    events,
    customError,
    code: (await ethers.provider.getCode(await counter.getAddress())).length > 2,
  };
}

async function main() {
  const { ethers, network } = hre;
  const [own] = await ethers.getSigners();
  const accounts = network.config.accounts === "remote" ? "remote" : "local";
  const results = [
    await exercise(accounts, own),
    await exercise("privateKey", new ethers.Wallet(EXPLICIT_KEY, ethers.provider)),
  ];
  const chainId = (await ethers.provider.getNetwork()).chainId.toString();
  const clientVersion = await network.provider.send("web3_clientVersion", []);
  console.log(`CHARTER_RESULT ${JSON.stringify({ network: network.name, chainId, clientVersion, results })}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
