import path from "node:path";
import { compileTemplate } from "./src/build/circom";
import { plonkSize } from "./src/policy/gates";
(async () => {
  for (const n of (process.argv[2] ?? "2,3,4,16").split(",").map(Number)) {
    const out = path.join("/tmp/meas", `p${n}`);
    await compileTemplate({ file: "circuits/policy/policy_batch.circom", template: "PolicyBatch", params: [n, 32], publicInputs: ["threshold"] }, `policy${n}`, out, ["--O1"]);
    const s = await plonkSize(path.join(out, `policy${n}.r1cs`));
    console.log(n, JSON.stringify(s), (s.gates / n).toFixed(0));
  }
})();
