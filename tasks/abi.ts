/**
 * After every `hardhat compile`, src/anchor/generated/StateAnchor.abi.json is rewritten from the
 * compiled StateAnchor artifact when it changed, so src/ never carries a hand-written ABI and needs no
 * build output at run time. test/anchor/mirror.test.ts fails when the committed file is stale.
 */
import { task } from "hardhat/config";
import { TASK_COMPILE } from "hardhat/builtin-tasks/task-names";

task(TASK_COMPILE).setAction(async (args, hre, runSuper) => {
  const result = await runSuper(args);
  const { writeGeneratedAbi } = await import("../src/anchor/generated-abi");
  const artifact = await hre.artifacts.readArtifact("StateAnchor").catch(() => null);
  if (artifact) writeGeneratedAbi(artifact.abi);
  return result;
});
