/**
 * A seeded sample of applications for the demo: reproducible ids and scores (mulberry32 PRNG), no
 * salts (the pipeline draws them from the CSPRNG: a seeded salt would not hide anything).
 */
import { mulberry32 } from "../../prng";
export { mulberry32 };

/** CSV text (applicantId,score) of `count` applications with scores in [minScore, maxScore]. */
export function sampleApplicationsCsv(count: number, seed: number, minScore = 300, maxScore = 850): string {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`the sample needs at least one application, got ${count}`);
  const rnd = mulberry32(seed);
  const lines = ["applicantId,score"];
  const ids = new Set<number>();
  while (ids.size < count) ids.add(100_000 + Math.floor(rnd() * 900_000));
  for (const id of ids) lines.push(`${id},${minScore + Math.floor(rnd() * (maxScore - minScore + 1))}`);
  return lines.join("\n") + "\n";
}
