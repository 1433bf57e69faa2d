/**
 * The guest programs of this repository and their method IDs: methodId(assemble(guests/<name>.asm)).
 * A method ID registered on the anchor is trusted only when it is one of these.
 */
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../paths";
import { assemble } from "../zkvm/assembler";
import { methodId } from "../zkvm/method";

export interface RepoGuest {
  name: string;
  /** Repo-relative path of the .asm source. */
  file: string;
  methodId: bigint;
}

/** Every guests/*.asm that assembles, with its method ID (a source that does not assemble is skipped). */
export function repoGuests(root = REPO_ROOT): RepoGuest[] {
  const dir = path.join(root, "guests");
  if (!fs.existsSync(dir)) return [];
  const out: RepoGuest[] = [];
  for (const f of fs.readdirSync(dir).sort()) {
    if (!f.endsWith(".asm")) continue;
    try {
      const { words } = assemble(fs.readFileSync(path.join(dir, f), "utf8"));
      out.push({ name: f.replace(/\.asm$/, ""), file: `guests/${f}`, methodId: methodId(words) });
    } catch {
      // not a guest of this commit: it cannot vouch for any method ID
    }
  }
  return out;
}
