/**
 * Renderings of an AuditReport: JSON-safe data (big numbers as decimal strings, times as Unix seconds
 * beside a UTC date), a terminal report and a Markdown report for a person (verdict first, then
 * findings, the policy timeline, batches and decisions over time). Pure: they return strings.
 */
import type { AuditReport } from "./audit";
import type { Check } from "./checks";

/** Unix seconds as "2026-11-28 19:09:32 UTC". */
export function utc(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

const hex32 = (x: bigint) => "0x" + x.toString(16).padStart(64, "0");

/** The report as plain JSON data: stable keys, bigints as decimal strings, times with a UTC date beside them. */
export function auditToJson(r: AuditReport): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v))) as Record<
    string,
    unknown
  >;
  plain.state = { ...(plain.state as object), stateRootHex: hex32(r.state.stateRoot) };
  plain.batches = r.batches.map((b, i) => ({ ...(plain.batches as object[])[i], timeUtc: utc(b.time) }));
  plain.governance = r.governance.map((g) => ({ ...g, timeUtc: utc(g.time) }));
  plain.policies = r.policies.map((p, i) => ({
    ...(plain.policies as object[])[i],
    activeFromUtc: utc(p.activeFrom),
    scheduledAtUtc: utc(p.scheduledAt),
  }));
  plain.counts = countChecks(r.checks);
  return plain;
}

function countChecks(checks: readonly Check[]): { pass: number; warn: number; fail: number } {
  return {
    pass: checks.filter((c) => c.status === "pass").length,
    warn: checks.filter((c) => c.status === "warn").length,
    fail: checks.filter((c) => c.status === "fail").length,
  };
}

const VERDICT = {
  pass: "PASS: every check passed",
  warn: "PASS WITH WARNINGS: no check failed, some need attention",
  fail: "FAIL: at least one check failed",
} as const;

function evidence(c: Check): string {
  return Object.entries(c.evidence)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

/** The terminal report. */
export function renderAuditText(r: AuditReport, verbose = false): string {
  const n = countChecks(r.checks);
  const lines: string[] = [];
  lines.push(
    `audit of StateAnchor ${r.anchor} on chain ${r.chainId}, blocks ${r.fromBlock}..${r.toBlock}${r.deploymentBlockFound ? " (deployment block found on chain)" : ""}`,
  );
  lines.push(
    `  key sets: ${r.keySets.map((k) => `${k.label}${k.devOnly ? " [development keys]" : ""}`).join("; ") || "none"}`,
  );
  lines.push("");
  lines.push("checks:");
  for (const c of r.checks) {
    if (c.status === "pass" && !verbose && c.check === "proofs-reverified" && c.subject !== "every batch") continue;
    lines.push(`  ${c.status.toUpperCase().padEnd(4)} ${c.check.padEnd(17)} ${c.subject}: ${c.reason}`);
    if (c.status !== "pass" || verbose) {
      const ev = evidence(c);
      if (ev) lines.push(`       ${" ".repeat(17)} evidence: ${ev}`);
    }
  }
  lines.push("");
  lines.push("policies:");
  for (const p of r.policies) {
    lines.push(
      `  policy ${p.policyId}: threshold ${p.threshold}, batch size ${p.batchSize}, guest ${p.guest ?? "UNKNOWN"}, key ${p.key ?? "NONE"}, active from ${utc(p.activeFrom)} (delay ${p.delay} s)${p.retiredFrom ? `, retired from ${utc(p.retiredFrom)}` : ""}`,
    );
  }
  lines.push("");
  lines.push(
    `batches: ${r.totals.batches}, decisions: ${r.totals.decisions} (${r.totals.approved} approved, ${r.totals.denied} denied)`,
  );
  const shown = verbose ? r.batches : r.batches.slice(-10);
  if (shown.length < r.batches.length) lines.push(`  (last ${shown.length}; --json or --report for all)`);
  for (const b of shown) {
    lines.push(
      `  nonce ${b.nonce}: policy ${b.policyId}, ${b.approved} approved / ${b.denied} denied, ${utc(b.time)}, tx ${b.txHash}, proofs ${b.reverified}`,
    );
  }
  lines.push("");
  lines.push(
    `state at block ${r.toBlock}: nonce ${r.state.nonce}, ${r.state.decisionCount} decision(s), root ${hex32(r.state.stateRoot)}${r.state.paused ? ", PAUSED" : ""}`,
  );
  lines.push(`${VERDICT[r.verdict]} (${n.pass} pass, ${n.warn} warn, ${n.fail} fail) in ${(r.ms / 1000).toFixed(1)} s`);
  return lines.join("\n");
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The Markdown report for a person: verdict first, then findings, policy timeline, batches and decisions. */
export function renderAuditMarkdown(r: AuditReport): string {
  const n = countChecks(r.checks);
  const out: string[] = [];
  out.push(`# Audit of StateAnchor \`${r.anchor}\``);
  out.push("");
  out.push(`**Verdict: ${VERDICT[r.verdict]}** (${n.pass} pass, ${n.warn} warn, ${n.fail} fail)`);
  out.push("");
  out.push(`- chain id ${r.chainId}, blocks ${r.fromBlock} to ${r.toBlock}`);
  out.push(`- zkVM verifier \`${r.zkvmVerifier}\`, domain ${r.domain}`);
  out.push(
    `- key sets: ${r.keySets.map((k) => `${k.label} (id \`${k.id}\`${k.devOnly ? ", **development keys**" : ""})`).join("; ") || "none"}`,
  );
  out.push(
    `- state at block ${r.toBlock}: nonce ${r.state.nonce}, ${r.state.decisionCount} decisions, root \`${hex32(r.state.stateRoot)}\`${r.state.paused ? ", **paused**" : ""}`,
  );
  out.push("- what each check proves and assumes: docs/audit.md");
  out.push("");
  const findings = r.checks.filter((c) => c.status !== "pass");
  out.push("## Findings");
  out.push("");
  if (!findings.length) out.push("None: every check passed.");
  for (const c of findings) {
    out.push(`- **${c.status.toUpperCase()} ${c.check}**, ${c.subject}: ${c.reason}`);
    const ev = evidence(c);
    if (ev) out.push(`  - evidence: ${ev}`);
  }
  out.push("");
  out.push("## Checks");
  out.push("");
  out.push("| status | check | subject | reason |");
  out.push("| --- | --- | --- | --- |");
  for (const c of r.checks) out.push(`| ${c.status} | ${c.check} | ${cell(c.subject)} | ${cell(c.reason)} |`);
  out.push("");
  out.push("## Policies");
  out.push("");
  out.push("| policy | threshold | batch size | guest | key | scheduled | active from | delay (s) | retired from |");
  out.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const p of r.policies) {
    out.push(
      `| ${p.policyId} | ${p.threshold} | ${p.batchSize} | ${p.guest ?? "**unknown**"} | ${p.key ?? "**none**"} | ${utc(p.scheduledAt)} | ${utc(p.activeFrom)} | ${p.delay} | ${p.retiredFrom ? utc(p.retiredFrom) : ""} |`,
    );
  }
  out.push("");
  out.push("## Governance timeline");
  out.push("");
  out.push("| block | time | event | transaction |");
  out.push("| --- | --- | --- | --- |");
  for (const g of r.governance)
    out.push(`| ${g.blockNumber} | ${utc(g.time)} | ${cell(g.description)} | \`${g.txHash}\` |`);
  out.push("");
  out.push("## Batches and decisions");
  out.push("");
  out.push(
    `${r.totals.batches} batches, ${r.totals.decisions} decisions: ${r.totals.approved} approved, ${r.totals.denied} denied.`,
  );
  out.push("");
  out.push("| nonce | time | policy | decisions | approved | denied | proofs | transaction |");
  out.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const b of r.batches) {
    out.push(
      `| ${b.nonce} | ${utc(b.time)} | ${b.policyId} | ${b.activeCount} | ${b.approved} | ${b.denied} | ${b.reverified} | \`${b.txHash}\` |`,
    );
  }
  out.push("");
  return out.join("\n");
}
