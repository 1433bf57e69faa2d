// One file per task (docs/cli.md); each parses its arguments, calls src/ and renders.
import "./abi";
import "./circuits";
import "./anchor/deploy";
import "./anchor/prove";
import "./anchor/submit";
import "./anchor/attest";
import "./anchor/status";
import "./anchor/audit";
import "./anchor/inclusion";
import "./anchor/demo";
import "./anchor/worker";
export {};
