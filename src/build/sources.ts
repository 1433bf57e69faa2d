/**
 * Source hash of a circuit: every .circom file it includes (transitively: circuits/lib, circomlib),
 * resolved the way circom resolves them with `-l .` run from the repository root: first relative to
 * the including file, then relative to the repository root.
 */
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../paths";
import { inputsHash, sha256 } from "./hashing";

export interface SourceSet {
  /** sha256 over the sorted (path, content hash) list. */
  hash: string;
  /** Repo-relative posix path -> sha256 of the content, for every file in the include closure. */
  files: Record<string, string>;
}

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/[^\n]*/g, "");
}

function rel(file: string): string {
  return path.relative(REPO_ROOT, file).split(path.sep).join("/");
}

/** Include closure of `entry` (a repo-relative or absolute .circom path) with content hashes. */
export function sourceSet(entry: string, libraryPaths: readonly string[] = [REPO_ROOT]): SourceSet {
  const files: Record<string, string> = {};
  const queue = [path.resolve(REPO_ROOT, entry)];
  while (queue.length) {
    const file = queue.pop()!;
    const key = rel(file);
    if (key in files) continue;
    const content = fs.readFileSync(file);
    files[key] = sha256(content);
    for (const m of stripComments(content.toString("utf8")).matchAll(/\binclude\s+"([^"]+)"\s*;/g)) {
      const candidates = [path.resolve(path.dirname(file), m[1]), ...libraryPaths.map((l) => path.resolve(l, m[1]))];
      const found = candidates.find((c) => fs.existsSync(c));
      // A missing include is left to circom, which reports it with the file and line.
      if (found) queue.push(found);
    }
  }
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(files).sort()) sorted[k] = files[k];
  return { hash: inputsHash(sorted), files: sorted };
}
