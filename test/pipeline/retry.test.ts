import { expect } from "chai";
import { isTransient, retryingProvider, withRetry, RevertError } from "../../src/pipeline";

const transient = () => Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" });
const fast = { attempts: 4, baseMs: 1, maxMs: 2 };

describe("pipeline retry", () => {
  it("classifies transport failures as transient and everything else as permanent", () => {
    expect(isTransient(transient())).to.equal(true);
    expect(isTransient(new Error("HH110: Invalid JSON-RPC response received: Service Unavailable"))).to.equal(true);
    expect(isTransient(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).to.equal(true);
    expect(isTransient(new Error("wrapped", { cause: Object.assign(new Error("y"), { code: "ETIMEDOUT" }) }))).to.equal(
      true,
    );
    expect(isTransient(new Error("request failed with status 429 Too Many Requests"))).to.equal(true);
    expect(isTransient(new RevertError({ name: "NonceMismatch", args: [1n, 2n], detail: "" }))).to.equal(false);
    expect(isTransient(new Error("execution reverted"))).to.equal(false);
    expect(isTransient(new TypeError("cannot read properties of undefined"))).to.equal(false);
  });

  it("withRetry retries transient errors with backoff, then gives up with what to do", async () => {
    let calls = 0;
    const delays: number[] = [];
    const value = await withRetry("x", async () => (++calls < 3 ? Promise.reject(transient()) : "ok"), {
      ...fast,
      onRetry: (i) => delays.push(i.attempt),
    });
    expect([value, calls, delays]).to.deep.equal(["ok", 3, [1, 2]]);
    calls = 0;
    const err = await withRetry("read y", async () => (calls++, Promise.reject(transient())), fast).catch(
      (e: Error) => e,
    );
    expect(calls).to.equal(4);
    expect((err as Error).message).to.match(
      /^read y: still failing after 4 attempts \(other side closed\); check the RPC endpoint/,
    );
    calls = 0;
    const permanent = await withRetry("z", async () => (calls++, Promise.reject(new Error("boom"))), fast).catch(
      (e: Error) => e,
    );
    expect([calls, (permanent as Error).message]).to.deep.equal([1, "boom"]);
  });

  it("the provider wrapper retries reads but never a send", async () => {
    const seen: string[] = [];
    let failures = 2;
    const inner = {
      async request({ method }: { method: string }) {
        seen.push(method);
        if (failures-- > 0) throw transient();
        return method;
      },
    };
    const p = retryingProvider(inner, fast);
    expect(await p.request({ method: "eth_call" })).to.equal("eth_call");
    expect(seen).to.deep.equal(["eth_call", "eth_call", "eth_call"]);
    failures = 1;
    seen.length = 0;
    await p.request({ method: "eth_sendRawTransaction" }).then(
      () => expect.fail(),
      (e: Error) => expect(e.message).to.equal("other side closed"),
    );
    expect(seen).to.deep.equal(["eth_sendRawTransaction"]);
  });
});
