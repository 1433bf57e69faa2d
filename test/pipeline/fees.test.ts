/**
 * Replacement fees (src/pipeline/submission/fees.ts), the pure rule. The same rule against a real mempool
 * (Hardhat's, which like geth's wants >= 10% more) is in chain.test.ts.
 */
import { expect } from "chai";
import { FeeCapError, loadFees, replacementFees, storeFees, type TxFees } from "../../src/pipeline";

const GWEI = 1_000_000_000n;

describe("replacement fees", () => {
  it("raises every EIP-1559 field by 12.5% (rounded up), or to the network's suggestion when higher", () => {
    const old = { maxFeePerGas: 30n * GWEI, maxPriorityFeePerGas: 1n * GWEI };
    expect(replacementFees(old, {})).to.deep.equal({
      maxFeePerGas: 33_750_000_000n,
      maxPriorityFeePerGas: 1_125_000_000n,
    });
    expect(replacementFees({ maxFeePerGas: 9n, maxPriorityFeePerGas: 1n }, {})).to.deep.equal({
      maxFeePerGas: 11n, // 10.125 rounded up: never below the 10% nodes require
      maxPriorityFeePerGas: 2n,
    });
    expect(replacementFees(old, { maxFeePerGas: 80n * GWEI, maxPriorityFeePerGas: 3n * GWEI })).to.deep.equal({
      maxFeePerGas: 80n * GWEI,
      maxPriorityFeePerGas: 3n * GWEI,
    });
    // A priority fee above the fee cap would be an invalid transaction: the cap follows it.
    expect(replacementFees(old, { maxPriorityFeePerGas: 50n * GWEI })).to.deep.equal({
      maxFeePerGas: 50n * GWEI,
      maxPriorityFeePerGas: 50n * GWEI,
    });
  });

  it("keeps legacy gas prices legacy", () => {
    expect(replacementFees({ gasPrice: 20n * GWEI }, { gasPrice: 21n * GWEI, maxFeePerGas: 99n * GWEI })).to.deep.equal(
      { gasPrice: 22_500_000_000n },
    );
  });

  it("refuses to go above the cap, saying what to do", () => {
    const old = { maxFeePerGas: 30n * GWEI, maxPriorityFeePerGas: 1n * GWEI };
    expect(replacementFees(old, {}, 33_750_000_000n)).to.deep.include({ maxFeePerGas: 33_750_000_000n }); // at the cap: fine
    let err: unknown;
    try {
      replacementFees(old, {}, 33n * GWEI);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(FeeCapError);
    expect((err as FeeCapError).needed).to.equal(33_750_000_000n);
    expect((err as Error).message).to.equal(
      "replacing the stuck transaction needs a fee of 33.75 gwei per gas, above the cap of 33 gwei: raise --max-fee-gwei, " +
        "or wait for the network fee to fall and run again (the pending transaction may still be mined)",
    );
    expect(() => replacementFees({ gasPrice: 10n * GWEI }, {}, 11n * GWEI)).to.throw(FeeCapError, /11\.25 gwei/);
  });

  it("round-trips through the run folder's JSON form", () => {
    for (const f of [{ maxFeePerGas: 3n, maxPriorityFeePerGas: 2n }, { gasPrice: 7n }] as TxFees[]) {
      expect(loadFees(JSON.parse(JSON.stringify(storeFees(f))))).to.deep.equal(f);
    }
  });
});
