import { expect } from "chai";
import { SNARK_SCALAR_FIELD as R } from "../../src/field";
import {
  ApplicationsInvalidError,
  assignSalts,
  parseApplications,
  randomFieldElement,
  type RowIssue,
} from "../../src/pipeline";

const opts = { scoreBits: 32, source: "apps.csv" };

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
    const apps = parseApplications("applicantId,score,salt\n1,700,5\n0x2,650,\n3, 4294967295 ,0x10\n", "csv", opts);
    expect(apps).to.deep.equal([
      { row: 1, applicantId: 1n, score: 700n, salt: 5n },
      { row: 2, applicantId: 2n, score: 650n, salt: undefined },
      { row: 3, applicantId: 3n, score: 4294967295n, salt: 16n },
    ]);
  });

  it("parses JSON arrays with numbers and strings", () => {
    const apps = parseApplications(
      JSON.stringify([
        { applicantId: 7, score: "12" },
        { applicantId: "8", score: 0, salt: "9" },
      ]),
      "json",
      opts,
    );
    expect(apps.map((a) => [a.applicantId, a.score, a.salt])).to.deep.equal([
      [7n, 12n, undefined],
      [8n, 0n, 9n],
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
      `${R},10,`, // row 7 id outside the field
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
    expect(by(6)[0]).to.match(/score -1 is out of range/);
    expect(by(7)[0]).to.match(/^applicantId: applicantId \d+ is outside the field/);
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
    const apps = assignSalts(parseApplications("applicantId,score,salt\n1,2,\n3,4,99\n", "csv", opts));
    expect(apps[1]).to.deep.equal({ applicantId: 3n, score: 4n, salt: 99n, saltGenerated: false });
    expect(apps[0].saltGenerated).to.equal(true);
    expect(apps[0].salt < R).to.equal(true);
    const draws = new Set(Array.from({ length: 50 }, () => randomFieldElement()));
    expect(draws.size).to.equal(50);
    for (const d of draws) expect(d >= 0n && d < R).to.equal(true);
  });
});
