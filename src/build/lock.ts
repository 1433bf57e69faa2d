/**
 * Cross-process exclusive lock (a file created with O_EXCL holding the owner's pid; a lock whose
 * owner died is taken over). Serializes dev-ptau generation and builds of the same profile.
 */
import fs from "node:fs";

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs `fn` holding the lock file `lock`. While another live process holds it, waits (polling every
 * 2 s) and calls `onWait(pid)` once.
 */
export async function withLock<T>(lock: string, onWait: (pid: number) => void, fn: () => Promise<T>): Promise<T> {
  let waited = false;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let text: string;
      try {
        text = fs.readFileSync(lock, "utf8");
      } catch {
        continue; // released between our attempt and the read
      }
      const pid = Number(text);
      if (text !== "" && (!Number.isInteger(pid) || !pidAlive(pid))) {
        fs.rmSync(lock, { force: true }); // its owner died
        continue;
      }
      if (!waited && text !== "") onWait(pid);
      waited = true;
      await new Promise((r) => setTimeout(r, text === "" ? 100 : 2000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}
