import path from "node:path";
import { compileTemplate } from "./src/build/circom";
import { plonkSize } from "./src/policy/gates";
// eslint-disable-next-line
const { readR1csHeader } = require("r1csfile");
(async () => {
  const which = process.argv[2];
  const n = Number(process.argv[3]);
  if (which === "policy") {
    const out = path.join("/tmp/meas", `p${n}`);
    await compileTemplate({ file: "circuits/policy/policy_batch.circom", template: "PolicyBatch", params: [n, 32], publicInputs: ["threshold"] }, `policy${n}`, out, ["--O1"]);
    const s = await plonkSize(path.join(out, `policy${n}.r1cs`));
    console.log("policy", n, JSON.stringify(s));
  } else {
    const T = 7 * n + 7, L = n + 2;
    const out = path.join("/tmp/meas", `z${n}`);
    await compileTemplate({ file: "circuits/zkvm/zkvm.circom", template: "ZkVM", params: [T, 16, L, 4, 2], publicInputs: ["methodId", "tapeDigest", "params", "journalLen", "journal"] }, `zkvm${n}`, out, []);
    const fs = require("node:fs");
    const { readR1cs } = require("r1csfile");
    const r = await readR1cs(path.join(out, `zkvm${n}.r1cs`), { loadConstraints: false, loadMap: false, singleThread: true });
    console.log("zkvm", n, "T", T, "L", L, "constraints", r.nConstraints, "perStep", (r.nConstraints / T).toFixed(1));
    await r.curve.terminate();
  }
})();
