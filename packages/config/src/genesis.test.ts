import {
  COMMITTEE_MEMBER_WEIGHT_MAX,
  COMMITTEE_MEMBERS_MAX,
  DEFAULT_APPROVAL_BPS,
  DEFAULT_PARTICIPATION_BPS,
  ORG_ID_BYTES_MAX,
  ORGS_MAX,
  PERMISSION_LIST_MAX,
} from "@charter/governance";
import { describe, expect, it } from "vitest";
import { genesisJSONSchema, genesisToJSON, parseGenesis } from "./genesis.js";

const v = (i: number, org?: string) => ({
  address: `0x${String(i).repeat(40)}`,
  publicKey: `0x04${"11".repeat(64)}`,
  ...(org === undefined ? {} : { org }),
});
const base = { chainId: 7345, timestampMs: 0 };
const governance = {
  organizations: [
    { id: "bank", name: "Bank of Example", caFingerprint: `0x${"AB".repeat(32)}` },
    { id: "notary", name: "公证处" },
  ],
  committee: [{ address: `0x${"c".repeat(40)}`, weight: 3 }, { address: `0x${"d".repeat(40)}` }],
};

describe("the genesis governance section", () => {
  it("is optional; with it, every validator names a listed organization, and defaults fill the rest", () => {
    expect(parseGenesis({ ...base, validators: [v(1)] }).governance).toBeUndefined();
    const genesis = parseGenesis({ ...base, validators: [v(1, "bank"), v(2, "notary")], governance });
    expect(genesis.validators.map((x) => x.org)).toEqual(["bank", "notary"]);
    expect(genesis.governance).toEqual({
      organizations: [
        { id: "bank", name: "Bank of Example", caFingerprint: `0x${"ab".repeat(32)}` },
        { id: "notary", name: "公证处" },
      ],
      committee: [
        { address: `0x${"c".repeat(40)}`, weight: 3 },
        { address: `0x${"d".repeat(40)}`, weight: 1 },
      ],
      participationBps: DEFAULT_PARTICIPATION_BPS,
      approvalBps: DEFAULT_APPROVAL_BPS,
      deploy: { mode: "open", allowlist: [], denylist: [] },
      transact: { mode: "open", allowlist: [], denylist: [] },
    });
    // Written out and read back, it is the same genesis.
    expect(parseGenesis(JSON.parse(genesisToJSON(genesis)))).toEqual(genesis);
    expect(JSON.stringify(genesisJSONSchema())).toContain("participationBps");
  });

  it("refuses what the system contracts would refuse, naming the field", () => {
    const refuse = (value: unknown, message: RegExp) => expect(() => parseGenesis(value)).toThrow(message);
    refuse({ ...base, gasLimit: 999_999, validators: [v(1)] }, /gasLimit: must be at least 1000000/);
    refuse(
      { ...base, validators: [v(1, "bank")] },
      /validators\.0\.org: names an organization, but the genesis has no governance/,
    );
    refuse(
      { ...base, validators: [v(1)], governance },
      /validators\.0\.org: is required with a governance section/,
    );
    refuse(
      { ...base, validators: [v(1, "court")], governance },
      /validators\.0\.org: "court" is not in governance\.organizations/,
    );
    refuse(
      {
        ...base,
        validators: [v(1, "bank")],
        governance: {
          ...governance,
          organizations: [governance.organizations[0], governance.organizations[0]],
        },
      },
      /governance\.organizations\.1\.id: "bank" is listed twice/,
    );
    refuse(
      {
        ...base,
        validators: [v(1, "bank")],
        governance: { ...governance, committee: [governance.committee[1], governance.committee[1]] },
      },
      /governance\.committee\.1\.address: .* is listed twice/,
    );
    refuse(
      { ...base, validators: [v(1, "bank")], governance: { ...governance, approvalBps: 5000 } },
      /governance\.approvalBps/,
    );
    refuse(
      { ...base, validators: [v(1, "bank")], governance: { ...governance, participationBps: 0 } },
      /governance\.participationBps/,
    );
    refuse(
      {
        ...base,
        validators: [v(1, "bank")],
        governance: { ...governance, organizations: [{ id: "bad id", name: "x" }] },
      },
      /governance\.organizations\.0\.id/,
    );
    refuse(
      { ...base, validators: [v(1, "bank")], governance: { ...governance, deploy: { mode: "sometimes" } } },
      /governance\.deploy\.mode/,
    );
  });

  it("has the system contracts' limits", () => {
    const at = (changes: Record<string, unknown>) => () =>
      parseGenesis({ ...base, validators: [v(1, "bank")], governance: { ...governance, ...changes } });
    const address = (i: number) => `0x${i.toString(16).padStart(40, "0")}`;
    expect(at({ committee: [{ address: address(1), weight: COMMITTEE_MEMBER_WEIGHT_MAX }] })).not.toThrow();
    expect(at({ committee: [{ address: address(1), weight: COMMITTEE_MEMBER_WEIGHT_MAX + 1 }] })).toThrow();
    const members = (n: number) => Array.from({ length: n }, (_, i) => ({ address: address(i + 1) }));
    expect(at({ committee: members(COMMITTEE_MEMBERS_MAX) })).not.toThrow();
    expect(at({ committee: members(COMMITTEE_MEMBERS_MAX + 1) })).toThrow();
    const orgs = (n: number) => [
      governance.organizations[0],
      ...Array.from({ length: n - 1 }, (_, i) => ({ id: `o${i}`, name: "x" })),
    ];
    expect(at({ organizations: orgs(ORGS_MAX) })).not.toThrow();
    expect(at({ organizations: orgs(ORGS_MAX + 1) })).toThrow();
    expect(
      at({ organizations: [...orgs(1), { id: "x".repeat(ORG_ID_BYTES_MAX), name: "x" }] }),
    ).not.toThrow();
    expect(
      at({ organizations: [...orgs(1), { id: "x".repeat(ORG_ID_BYTES_MAX + 1), name: "x" }] }),
    ).toThrow();
    const list = (n: number) => Array.from({ length: n }, (_, i) => address(i + 1));
    expect(at({ deploy: { allowlist: list(PERMISSION_LIST_MAX) } })).not.toThrow();
    expect(at({ deploy: { allowlist: list(PERMISSION_LIST_MAX + 1) } })).toThrow();
  });
});
