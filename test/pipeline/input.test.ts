import path from "node:path";
import { expect } from "chai";
import { SNARK_SCALAR_FIELD as R } from "../../src/field";
import {
  ApplicationsInvalidError,
  assignSalts,
  parseApplications,
  randomFieldElement,
  readApplications,
  type RowIssue,
} from "../../src/pipeline";

const opts = { scoreBits: 32, source: "apps.csv" };
/** Salts given in a file must be at least 2^128 (uniformly random field elements are). */
const S1 = R - 5n;
const S2 = 2n ** 128n;
const S3 = 0x2f0e4d5c6b7a89980706f5e4d3c2b1a0c0ffee01n;
/** The tail of every "not an integer" message: what is accepted. */
const ACCEPTED = "write decimal digits (42) or 0x-hex (0x2a), with no sign, point or exponent";

/** The whole ApplicationsInvalidError message for an input. */
function message(text: string, format: "csv" | "json" = "csv"): string {
  try {
    parseApplications(text, format, opts);
  } catch (err) {
    expect(err).to.be.instanceOf(ApplicationsInvalidError);
    return (err as Error).message;
  }
  expect.fail("expected ApplicationsInvalidError");
}

/** The issues as formatted lines ("row 1 (line 2) score: ..."), without the summary line. */
function lines(text: string, format: "csv" | "json" = "csv"): string[] {
  return message(text, format)
    .split("\n")
    .slice(1)
    .map((l) => l.trim());
}

function issues(text: string, format: "csv" | "json" = "csv"): RowIssue[] {
  try {
    parseApplications(text, format, opts);
  } catch (err) {
    expect(err).to.be.instanceOf(ApplicationsInvalidError);
    return [...(err as ApplicationsInvalidError).issues];
  }
  expect.fail("expected ApplicationsInvalidError");
}

describe("pipeline input", () => {
  it("parses CSV with and without salts (decimal and 0x)", () => {
    const apps = parseApplications(
      `applicantId,score,salt\n1,700,${S1}\n0x2,650,\n3, 4294967295 ,0x${S3.toString(16)}\n`,
      "csv",
      opts,
    );
    expect(apps).to.deep.equal([
      { row: 1, applicantId: 1n, score: 700n, salt: S1 },
      { row: 2, applicantId: 2n, score: 650n, salt: undefined },
      { row: 3, applicantId: 3n, score: 4294967295n, salt: S3 },
    ]);
  });

  it("parses JSON arrays with numbers and strings", () => {
    const apps = parseApplications(
      JSON.stringify([
        { applicantId: 7, score: "12" },
        { applicantId: "8", score: 0, salt: String(S2) },
      ]),
      "json",
      opts,
    );
    expect(apps.map((a) => [a.applicantId, a.score, a.salt])).to.deep.equal([
      [7n, 12n, undefined],
      [8n, 0n, S2],
    ]);
  });

  it("reports EVERY bad CSV row with row, line and reason", () => {
    const csv = [
      "applicantId,score,salt",
      "1,700,", //  row 1 ok
      ",600,", // row 2 missing applicantId
      "3,,", //   row 3 missing score
      "4,12.5,", // row 4 non-integer score
      `5,${2n ** 32n},`, // row 5 score out of range
      "6,-1,", // row 6 negative score
      `${R},10,`, // row 7 id outside the field (and 64 bits)
      `8,10,${R + 5n}`, // row 8 salt outside the field
      "1,10,", // row 9 duplicate of row 1
      "abc,10,", // row 10 non-integer id
      "11,10", // row 11 wrong column count (still ok values)
    ].join("\n");
    const got = issues(csv);
    const by = (row: number) => got.filter((i) => i.row === row).map((i) => `${i.field}: ${i.reason}`);
    expect(by(2)).to.deep.equal(["applicantId: missing applicantId"]);
    expect(by(3)).to.deep.equal(["score: missing score"]);
    expect(by(4)[0]).to.match(/^score: score must be a non-negative integer, got "12.5"/);
    expect(by(5)[0]).to.equal(`score: score ${2n ** 32n} is out of range: it must satisfy 0 <= score < 2^32`);
    expect(by(6)).to.deep.equal([`score: score must be a non-negative integer, got "-1": ${ACCEPTED}`]);
    expect(by(7)).to.deep.equal([
      `applicantId: applicantId ${R} is out of range: it must satisfy 1 <= applicantId < 2^64: ` +
        "use 64-bit integer identifiers, e.g. a database key",
    ]);
    expect(by(8)[0]).to.match(/^salt: salt \d+ is outside the field/);
    expect(by(9)).to.deep.equal(["applicantId: duplicate applicantId 1 (first seen at row 1)"]);
    expect(by(10)[0]).to.match(/applicantId must be a non-negative integer/);
    expect(by(11)[0]).to.match(/has 2 column\(s\), the header has 3/);
    expect(got.find((i) => i.row === 2)?.line).to.equal(3);
    expect(got.some((i) => i.row === 1)).to.equal(false);
  });

  it("the error message lists every issue and says nothing was processed", () => {
    try {
      parseApplications("applicantId,score\n1,x\n2,y\n", "csv", opts);
      expect.fail();
    } catch (err) {
      expect((err as Error).message).to.match(/apps\.csv: 2 invalid row\(s\); nothing was proven or sent/);
      expect((err as Error).message).to.contain("row 1 (line 2) score");
      expect((err as Error).message).to.contain("row 2 (line 3) score");
    }
  });

  it("respects the policy's score width", () => {
    expect(() => parseApplications("applicantId,score\n1,256\n", "csv", { scoreBits: 8 })).to.throw(
      ApplicationsInvalidError,
      /2\^8/,
    );
    expect(parseApplications("applicantId,score\n1,255\n", "csv", { scoreBits: 8 })).to.have.length(1);
  });

  it("rejects header problems, unknown columns, empty files and bad JSON shapes", () => {
    expect(issues("id,score\n1,2\n")[0].reason).to.match(/no "applicantId" column/);
    expect(issues("applicantId,score,extra\n1,2,3\n")[0].reason).to.match(/unknown field "extra"/);
    expect(issues("applicantId,score\n")[0].reason).to.equal("the file contains no applications");
    expect(issues("{", "json")[0].reason).to.match(/not valid JSON/);
    expect(issues('{"a":1}', "json")[0].reason).to.match(/expected a JSON array/);
    expect(issues('[1, {"applicantId": 1.5, "score": 3}]', "json").map((i) => i.row)).to.deep.equal([1, 2]);
    expect(issues('[{"applicantId": 1}]', "json")[0]).to.include({ row: 1, field: "score", reason: "missing score" });
  });

  it("draws missing salts from the CSPRNG below r and keeps given ones", () => {
    const apps = assignSalts(parseApplications(`applicantId,score,salt\n1,2,\n3,4,${S1}\n`, "csv", opts));
    expect(apps[1]).to.deep.equal({ applicantId: 3n, score: 4n, salt: S1, saltGenerated: false });
    expect(apps[0].saltGenerated).to.equal(true);
    expect(apps[0].salt < R).to.equal(true);
    const draws = new Set(Array.from({ length: 50 }, () => randomFieldElement()));
    expect(draws.size).to.equal(50);
    for (const d of draws) expect(d >= 0n && d < R).to.equal(true);
  });

  it("refuses applicantId 0 (empty slots) and any given salt below 2^128, in CSV and JSON", () => {
    const ZERO_ID = "applicantId 0 is reserved for empty slots: use ids from 1";
    const small = (salt: bigint | number) =>
      `salt ${salt} is below 2^128: salts must be uniformly random field elements: omit them to have them drawn`;
    const csv = [
      "applicantId,score,salt",
      "0,700,", //            row 1: id 0
      "0x00,600,", //         row 2: id 0 in hex (not also reported as a duplicate)
      "3,600,5", //           row 3: a counter as salt
      `4,600,${S2 - 1n}`, //  row 4: 2^128 - 1, the largest refused salt
      "5,600,0x0", //         row 5: salt 0
      `0,1,7`, //             row 6: both problems
      `7,600,${S2}`, //       row 7: ok, 2^128 is the smallest accepted salt
      `8,600,${R - 1n}`, //   row 8: ok
      "9,600,", //            row 9: ok, drawn
    ].join("\n");
    expect(message(csv)).to.equal(
      "apps.csv: 6 invalid row(s); nothing was proven or sent. Fix them and run again:\n" +
        [
          `row 1 (line 2) applicantId: ${ZERO_ID}`,
          `row 2 (line 3) applicantId: ${ZERO_ID}`,
          `row 3 (line 4) salt: ${small(5)}`,
          `row 4 (line 5) salt: ${small(S2 - 1n)}`,
          `row 5 (line 6) salt: ${small(0)}`,
          `row 6 (line 7) applicantId: ${ZERO_ID}`,
          `row 6 (line 7) salt: ${small(7)}`,
        ]
          .map((l) => "  " + l)
          .join("\n"),
    );
    expect(
      parseApplications(`applicantId,score,salt\n7,600,${S2}\n8,600,${R - 1n}\n9,600,\n`, "csv", opts),
    ).to.deep.equal([
      { row: 1, applicantId: 7n, score: 600n, salt: S2 },
      { row: 2, applicantId: 8n, score: 600n, salt: R - 1n },
      { row: 3, applicantId: 9n, score: 600n, salt: undefined },
    ]);
    // JSON: a number salt is always too small (safe integers are below 2^53); strings are read as in CSV.
    expect(
      lines(
        '[{"applicantId": 0, "score": 1}, {"applicantId": "0", "score": 1}, {"applicantId": 3, "score": 1, "salt": 42},' +
          ' {"applicantId": 4, "score": 1, "salt": "0x10"}, {"applicantId": 5, "score": 1, "salt": "0x' +
          S3.toString(16) +
          '"}]',
        "json",
      ),
    ).to.deep.equal([
      `row 1 applicantId: ${ZERO_ID}`,
      `row 2 applicantId: ${ZERO_ID}`,
      `row 3 salt: ${small(42)}`,
      `row 4 salt: ${small(16)}`,
    ]);
    // Drawn salts are uniform below r: one below 2^128 has probability about 2^-126.
    for (let i = 0; i < 20; i++) expect(randomFieldElement() >= S2).to.equal(true);
  });

  it("refuses applicantIds of 2^64 and above with their row; 2^64 - 1 is accepted, in CSV and JSON", () => {
    const TOO_BIG = (id: bigint) =>
      `applicantId ${id} is out of range: it must satisfy 1 <= applicantId < 2^64: ` +
      "use 64-bit integer identifiers, e.g. a database key";
    const max = 2n ** 64n - 1n;
    const csv = [
      "applicantId,score",
      `${max},600`, //             row 1: ok, the largest id
      `${max + 1n},600`, //        row 2: 2^64
      "0x10000000000000000,600", // row 3: 2^64 in hex
      `${R - 1n},600`, //          row 4: a field element, not a 64-bit id
      "1,600", //                  row 5: ok, the smallest id
    ].join("\n");
    expect(message(csv)).to.equal(
      "apps.csv: 3 invalid row(s); nothing was proven or sent. Fix them and run again:\n" +
        [
          `row 2 (line 3) applicantId: ${TOO_BIG(max + 1n)}`,
          `row 3 (line 4) applicantId: ${TOO_BIG(max + 1n)}`,
          `row 4 (line 5) applicantId: ${TOO_BIG(R - 1n)}`,
        ]
          .map((l) => "  " + l)
          .join("\n"),
    );
    expect(parseApplications(`applicantId,score\n${max},600\n1,600\n`, "csv", opts)).to.deep.equal([
      { row: 1, applicantId: max, score: 600n, salt: undefined },
      { row: 2, applicantId: 1n, score: 600n, salt: undefined },
    ]);
    expect(
      lines(`[{"applicantId": "${max}", "score": 1}, {"applicantId": "0x1${"0".repeat(16)}", "score": 1}]`, "json"),
    ).to.deep.equal([`row 2 applicantId: ${TOO_BIG(max + 1n)}`]);
    expect(parseApplications(`[{"applicantId": "0x${max.toString(16)}", "score": 1}]`, "json", opts)).to.deep.equal([
      { row: 1, applicantId: max, score: 1n, salt: undefined },
    ]);
  });

  it('rejects "-0" and every other sign or non-canonical form, saying what is accepted', () => {
    const csv = [
      "applicantId,score,salt",
      "-0,1,", // row 1
      "2,-0,", // row 2
      "3,1,-0", // row 3
      "4,+5,", // row 4
      "5,1e3,", // row 5
      "6,0X10,", // row 6: only a lower-case 0x prefix, as before
      "7,0x,", // row 7
      "8,1 000,", // row 8
      `009,0x0A,0x00FF${"ab".repeat(16)}`, // row 9: ok (leading zeros are still decimal digits; hex digits in any case)
    ].join("\n");
    expect(lines(csv)).to.deep.equal([
      `row 1 (line 2) applicantId: applicantId must be a non-negative integer, got "-0": ${ACCEPTED}`,
      `row 2 (line 3) score: score must be a non-negative integer, got "-0": ${ACCEPTED}`,
      `row 3 (line 4) salt: salt must be a non-negative integer, got "-0": ${ACCEPTED}`,
      `row 4 (line 5) score: score must be a non-negative integer, got "+5": ${ACCEPTED}`,
      `row 5 (line 6) score: score must be a non-negative integer, got "1e3": ${ACCEPTED}`,
      `row 6 (line 7) score: score must be a non-negative integer, got "0X10": ${ACCEPTED}`,
      `row 7 (line 8) score: score must be a non-negative integer, got "0x": ${ACCEPTED}`,
      `row 8 (line 9) score: score must be a non-negative integer, got "1 000": ${ACCEPTED}`,
    ]);
    expect(parseApplications(`applicantId,score,salt\n009,0x0A,0x00FF${"ab".repeat(16)}\n`, "csv", opts)).to.deep.equal(
      [{ row: 1, applicantId: 9n, score: 10n, salt: BigInt(`0xff${"ab".repeat(16)}`) }],
    );
    // JSON: -0 and negative numbers are signs too (JSON.parse keeps -0 apart from 0).
    expect(
      lines(
        '[{"applicantId": -0, "score": 1}, {"applicantId": 2, "score": -3}, {"applicantId": "-0", "score": 1}]',
        "json",
      ),
    ).to.deep.equal([
      `row 1 applicantId: applicantId must be a non-negative integer, got -0: ${ACCEPTED}`,
      `row 2 score: score must be a non-negative integer, got -3: ${ACCEPTED}`,
      `row 3 applicantId: applicantId must be a non-negative integer, got "-0": ${ACCEPTED}`,
    ]);
  });

  it("rejects JSON numbers above 2^53 - 1 and non-integers, naming the row and field", () => {
    const json =
      '[{"applicantId": 9007199254740993, "score": 1},' + // row 1: read as 2^53 by JSON.parse
      ' {"applicantId": 2, "score": 1.5},' + //               row 2
      ' {"applicantId": 3, "score": 1, "salt": 21888242871839275222246405745257275088548364400416034343698204186575808495616},' + // row 3
      ' {"applicantId": 4, "score": 1e400},' + //             row 4: Infinity
      ` {"applicantId": 9007199254740991, "score": 5, "salt": "${S1}"}]`; // row 5: ok
    expect(lines(json, "json")).to.deep.equal([
      "row 1 applicantId: applicantId is a JSON number above Number.MAX_SAFE_INTEGER (2^53 - 1), already rounded " +
        'by JSON.parse (to 9007199254740992): write big numbers as strings, e.g. "applicantId": "9007199254740993"',
      `row 2 score: score must be a non-negative integer, got 1.5: ${ACCEPTED}`,
      "row 3 salt: salt is a JSON number above Number.MAX_SAFE_INTEGER (2^53 - 1), already rounded " +
        "by JSON.parse (to 2.1888242871839275e+76): write salts as strings (decimal or 0x-hex), or omit them to have them drawn",
      "row 4 score: score is a JSON number above Number.MAX_SAFE_INTEGER (2^53 - 1), already rounded " +
        'by JSON.parse (to Infinity): write big numbers as strings, e.g. "score": "9007199254740993"',
    ]);
    const ok = parseApplications(`[{"applicantId": 9007199254740991, "score": 5, "salt": "${S1}"}]`, "json", opts);
    expect(ok).to.deep.equal([{ row: 1, applicantId: 9007199254740991n, score: 5n, salt: S1 }]);
  });

  it("cuts every echoed bad value to 80 characters, ending with an ellipsis", () => {
    const long = "x".repeat(200);
    const cut = "x".repeat(79) + "…";
    expect(lines(`applicantId,score\n1,${long}\n`)).to.deep.equal([
      `row 1 (line 2) score: score must be a non-negative integer, got "${cut}": ${ACCEPTED}`,
    ]);
    const big = "9".repeat(120);
    expect(lines(`applicantId,score,salt\n${big},${big},${big}\n`)).to.deep.equal([
      `row 1 (line 2) applicantId: applicantId ${"9".repeat(79)}… is out of range: it must satisfy 1 <= applicantId < 2^64: use 64-bit integer identifiers, e.g. a database key`,
      `row 1 (line 2) salt: salt ${"9".repeat(79)}… is outside the field: it must satisfy 0 <= salt < r (BN254 scalar field order)`,
      `row 1 (line 2) score: score ${"9".repeat(79)}… is out of range: it must satisfy 0 <= score < 2^32`,
    ]);
    expect(lines(`applicantId,score,${long}\n1,2,3\n`)).to.deep.equal([
      `header: unknown field "${cut}" in the header, column 3 (expected applicantId, score, salt, in any letter case)`,
    ]);
    expect(lines(`[{"applicantId": 1, "score": 2, "${long}": 3}]`, "json")).to.deep.equal([
      `row 1 ${long}: unknown field "${cut}" (expected applicantId, score, salt)`,
    ]);
    expect(lines(`[{"applicantId": 1, "score": ["${long}"]}, "${long}"]`, "json")).to.deep.equal([
      `row 1 score: score must be a non-negative integer, got ["${"x".repeat(77)}…: ${ACCEPTED}`,
      `row 2: expected an object {applicantId, score, salt?}, got "${cut}"`,
    ]);
    // At most 80 characters are kept as they are.
    const exact = "y".repeat(80);
    expect(lines(`applicantId,score\n1,${exact}\n`)[0]).to.contain(`got "${exact}": `);
  });

  it("matches CSV header names in any letter case and names an unknown or duplicate header", () => {
    expect(parseApplications(`ApplicantID,SCORE,Salt\n1,700,${S2}\n2,650,\n`, "csv", opts)).to.deep.equal([
      { row: 1, applicantId: 1n, score: 700n, salt: S2 },
      { row: 2, applicantId: 2n, score: 650n, salt: undefined },
    ]);
    expect(message("ApplicantID,Score,Notes\n1,700,a\n2,x,b\n")).to.equal(
      "apps.csv: invalid file and 1 invalid row(s); nothing was proven or sent. Fix them and run again:\n" +
        '  header: unknown field "Notes" in the header, column 3 (expected applicantId, score, salt, in any letter case)\n' +
        `  row 2 (line 3) score: score must be a non-negative integer, got "x": ${ACCEPTED}`,
    );
    expect(message("applicantId,score,SCORE\n1,700,650\n")).to.equal(
      "apps.csv: invalid file; nothing was proven or sent. Fix them and run again:\n" +
        '  header: duplicate column "SCORE" in the header: column 3 repeats column 2 ("score"; letter case does not matter)',
    );
    expect(lines("applicantId,score,\n1,700,\n")).to.deep.equal([
      "header: column 3 of the header has no name (expected applicantId, score, salt, in any letter case)",
    ]);
  });

  it("counts invalid rows, not problems, and lists every problem", () => {
    expect(message("applicantId,score,salt\nabc,-0,\n2,700,\n3,,x\n")).to.equal(
      "apps.csv: 2 invalid row(s); nothing was proven or sent. Fix them and run again:\n" +
        `  row 1 (line 2) applicantId: applicantId must be a non-negative integer, got "abc": ${ACCEPTED}\n` +
        `  row 1 (line 2) score: score must be a non-negative integer, got "-0": ${ACCEPTED}\n` +
        "  row 3 (line 4) score: missing score\n" +
        `  row 3 (line 4) salt: salt must be a non-negative integer, got "x": ${ACCEPTED}`,
    );
    const err = new ApplicationsInvalidError("f.csv", [
      { row: 2, field: "score", reason: "a" },
      { row: 2, field: "salt", reason: "b" },
      { row: 0, reason: "c" },
    ]);
    expect(err.message.split("\n")[0]).to.equal(
      "f.csv: invalid file and 1 invalid row(s); nothing was proven or sent. Fix them and run again:",
    );
  });

  it("refuses a file separated by semicolons, tabs or pipes, naming the separator", () => {
    const refused = (sep: string) =>
      "apps.csv: invalid file; nothing was proven or sent. Fix them and run again:\n" +
      `  header: the file uses ${sep} as separator: use commas`;
    expect(message("applicantId;score;salt\n1;700;\n")).to.equal(refused("';'"));
    expect(message('\uFEFF\n"applicantId"\t"score"\n1\t700\n')).to.equal(refused("a tab ('\\t')"));
    expect(message("ApplicantId|Score\n1|700\n")).to.equal(refused("'|'"));
    expect(message("id;score\n1;700\n")).to.equal(refused("';'"));
    // A comma file whose quoted header text holds a semicolon is still read as a comma file.
    expect(lines('"applicantId;x",score\n1,700\n')).to.deep.equal([
      'header: the header has no "applicantId" column (expected applicantId,score,salt)',
      'header: unknown field "applicantId;x" in the header, column 1 (expected applicantId, score, salt, in any letter case)',
    ]);
    const file = path.join(__dirname, "..", "fixtures", "applications-semicolon.csv");
    expect(() => readApplications(file, { scoreBits: 32 })).to.throw(
      ApplicationsInvalidError,
      `${file}: invalid file; nothing was proven or sent. Fix them and run again:\n` +
        "  header: the file uses ';' as separator: use commas",
    );
  });
});
