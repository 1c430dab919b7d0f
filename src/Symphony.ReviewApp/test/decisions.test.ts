import { describe, expect, it } from "vitest";
import type { ReviewCode } from "../src/codes";
import { PendingDecisions, claimPreview, reviewParameters } from "../src/decisions";

const CM = "http://hl7.org/fhir/sid/icd-10-cm";

function code(c: string, extra: Partial<ReviewCode> = {}): ReviewCode {
  return { key: `Condition/${c}`, kind: "diagnosis", system: CM, code: c, display: `display ${c}`, note: "n1", rules: [], state: "suggested", partial: false, principal: false, spans: [{ offset: 0, length: 4 }], ...extra };
}

describe("decision building", () => {
  it("builds one $review Parameters: accept and reject without spans, add with its spans, each naming its note", () => {
    const pending = new PendingDecisions();
    pending.accept(code("I10"));
    pending.reject(code("R05"), "  Negated or ruled out in the note ");
    pending.add("n1", { system: CM, code: "E11.9", display: "Type 2 diabetes" }, [{ offset: 12, length: 8 }]);
    expect(reviewParameters(pending.all)).toEqual({
      resourceType: "Parameters",
      parameter: [
        { name: "decision", part: [
          { name: "code", valueCoding: { system: CM, code: "I10", display: "display I10" } },
          { name: "action", valueCode: "accept" },
          { name: "note", valueReference: { reference: "DocumentReference/n1" } }] },
        { name: "decision", part: [
          { name: "code", valueCoding: { system: CM, code: "R05", display: "display R05" } },
          { name: "action", valueCode: "reject" },
          { name: "reason", valueString: "Negated or ruled out in the note" },
          { name: "note", valueReference: { reference: "DocumentReference/n1" } }] },
        { name: "decision", part: [
          { name: "code", valueCoding: { system: CM, code: "E11.9", display: "Type 2 diabetes" } },
          { name: "action", valueCode: "add" },
          { name: "note", valueReference: { reference: "DocumentReference/n1" } },
          { name: "span", part: [{ name: "offset", valueInteger: 12 }, { name: "length", valueInteger: 8 }] }] },
      ],
    });
  });

  it("keeps the last decision on a code, and refuses an add without evidence", () => {
    const pending = new PendingDecisions();
    pending.accept(code("I10"));
    pending.reject(code("I10"), "");
    expect(pending.all).toEqual([expect.objectContaining({ code: "I10", action: "reject", reason: undefined })]);
    expect(() => pending.add("n1", { system: CM, code: "E11.9", display: "x" }, [])).toThrow(/evidence/);
  });

  it("changes a code as a reject and an add carrying the old evidence, and undoes both together", () => {
    const pending = new PendingDecisions();
    const old = code("E11.9", { spans: [{ offset: 5, length: 8 }] });
    pending.change(old, { system: CM, code: "E11.22", display: "with CKD" });
    expect(pending.all.map(d => [d.action, d.code, d.reason])).toEqual([["add", "E11.22", "replaces E11.9"], ["reject", "E11.9", "changed to E11.22"]]);
    expect(pending.get({ system: CM, code: "E11.22", note: "n1" })!.spans).toEqual([{ offset: 5, length: 8 }]);
    pending.undo(old);
    expect(pending.size).toBe(0);
  });

  it("previews the Claim: principal first, rejected off, an added code ranked as fully confident", () => {
    const codes = [
      code("I10", { confidence: 0.9 }), code("J18.9", { confidence: 0.7, principal: true }), code("R05", { confidence: 0.6 }),
      code("0DT", { kind: "procedure", system: "http://www.cms.gov/Medicare/Coding/ICD10" }),
    ];
    const pending = new PendingDecisions();
    pending.reject(codes[2], "not a current condition");
    pending.add("n1", { system: CM, code: "E11.9", display: "Type 2 diabetes" }, [{ offset: 0, length: 3 }]);
    expect(claimPreview(["J18.9", "I10", "R05"], codes, pending).map(l => [l.code, l.principal, l.added]))
      .toEqual([["J18.9", true, false], ["E11.9", false, true], ["I10", false, false]]);
  });
});
