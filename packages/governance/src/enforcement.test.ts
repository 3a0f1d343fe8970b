import { hexToBytes } from "@charter/utils";
import { describe, expect, it } from "vitest";
import { COMMITTEE_ADDRESS } from "./addresses.js";
import type { AccountStatusCode, PolicyMode } from "./constants.js";
import { permissionRefusal } from "./enforcement.js";
import type { GovernanceView } from "./slots.js";

const sender = hexToBytes("0x00000000000000000000000000000000000000aa");
const target = hexToBytes("0x00000000000000000000000000000000000000bb");

/** A view where everything is allowed unless `over` says otherwise. */
function view(
  over: {
    status?: AccountStatusCode;
    targetStatus?: AccountStatusCode;
    transact?: PolicyMode;
    deploy?: PolicyMode;
    mayCall?: boolean;
  } = {},
): GovernanceView {
  const modes = { deploy: over.deploy ?? "open", transact: over.transact ?? "open" };
  return {
    accountStatus: (account: Uint8Array) =>
      account[19] === 0xaa ? (over.status ?? "normal") : (over.targetStatus ?? "normal"),
    policyModes: () => modes,
    mayDeploy: () => modes.deploy === "open",
    mayTransact: () => modes.transact === "open",
    mayCall: () => over.mayCall ?? true,
  } as unknown as GovernanceView;
}
const call = (to: Uint8Array | null, data = "0x12345678") => ({ sender, to, data: hexToBytes(data) });

describe("permissionRefusal (governance.md section 6)", () => {
  it("checks rules 1 to 5 in order and names the account", () => {
    expect(permissionRefusal(view(), call(target), () => true)).toBeUndefined();
    expect(
      permissionRefusal(view({ status: "abolished", transact: "allowlist" }), call(target), () => true),
    ).toEqual({ rule: 1, message: `sender 0x${"0".repeat(38)}aa is abolished` });
    expect(
      permissionRefusal(view({ transact: "denylist", deploy: "allowlist" }), call(null), () => false),
    ).toEqual({
      rule: 2,
      message: `sender 0x${"0".repeat(38)}aa may not transact (transact policy: denylist)`,
    });
    expect(permissionRefusal(view({ deploy: "allowlist" }), call(null), () => false)?.rule).toBe(3);
    expect(
      permissionRefusal(view({ targetStatus: "frozen", mayCall: false }), call(target), () => true),
    ).toEqual({
      rule: 4,
      message: `contract 0x${"0".repeat(38)}bb is frozen`,
    });
    expect(permissionRefusal(view({ mayCall: false }), call(target, "0x12"), () => true)).toEqual({
      rule: 5,
      message: `sender 0x${"0".repeat(38)}aa may not call method 0x12000000 of 0x${"0".repeat(38)}bb`,
    });
  });

  it("exempts calls to the Committee from rule 2 only, and rule 4 from accounts without code", () => {
    expect(
      permissionRefusal(view({ transact: "allowlist" }), call(COMMITTEE_ADDRESS), () => true),
    ).toBeUndefined();
    expect(permissionRefusal(view({ status: "frozen" }), call(COMMITTEE_ADDRESS), () => true)?.rule).toBe(1);
    expect(permissionRefusal(view({ targetStatus: "frozen" }), call(target), () => false)).toBeUndefined();
  });
});
