import { describe, expect, it } from "vitest";
import { readCode, readStatus, readSuggestion, reviewOrder, spansByTarget, splitRules, statusWords, type ReviewCode } from "../src/codes";
import type { Resource } from "../src/fhirTypes";

describe("rule wording", () => {
  it("reads the status and each rule as the server words them", () => {
    const read = readStatus("Status: uncertain. Rules: matched the code title 'Hypertensive chronic kidney disease'; uncertain diagnosis coded as established (inpatient); combined I10 and N18.30 into I12.9 (hypertension with ckd).");
    expect(read.status).toBe("uncertain");
    expect(read.rules).toEqual([
      "matched the code title 'Hypertensive chronic kidney disease'",
      "uncertain diagnosis coded as established (inpatient)",
      "combined I10 and N18.30 into I12.9 (hypertension with ckd)",
    ]);
    expect(statusWords(read.status)).toBe("uncertain (coded as established)");
  });

  it("does not split a rule at a semicolon inside a quoted term", () => {
    expect(splitRules("matched the clinical synonym 'pain; chest'; Excludes1 with I10: kept, I10 dropped"))
      .toEqual(["matched the clinical synonym 'pain; chest'", "Excludes1 with I10: kept, I10 dropped"]);
  });

  it("reads a status with no rules, and nothing from another note", () => {
    expect(readStatus("Status: history.")).toEqual({ status: "history", rules: [] });
    expect(readStatus("Accepted by Practitioner/1.")).toEqual({ rules: [] });
  });

  it("reads confidence, rank and the basis from the ranking note", () => {
    expect(readSuggestion("Suggested by symphony-coder 1.0 (embedded), confidence 0.77, diagnosis 1 of 4: principal diagnosis (Section II): 'admitted for'; synonym match (0.70), 1 mention, section final, affirmed."))
      .toEqual({ confidence: 0.77, rank: 1, basis: "principal diagnosis (Section II): 'admitted for'; synonym match (0.70), 1 mention, section final, affirmed" });
    expect(readSuggestion("Suggested by symphony-coder 1.0 (embedded), confidence 0.50.")).toEqual({ confidence: 0.5, rank: undefined, basis: undefined });
  });
});

const machineTag = { system: "https://symphony-fhir.dev/CodeSystem/coding-origin", code: "machine-suggested" };
const reviewedTag = { system: "https://symphony-fhir.dev/CodeSystem/coding-origin", code: "reviewed" };

function condition(id: string, code: string, extra: Partial<Resource> = {}): Resource {
  return {
    resourceType: "Condition", id, meta: { versionId: "1", tag: [machineTag] },
    verificationStatus: { coding: [{ code: "confirmed" }] },
    code: { coding: [{ system: "http://hl7.org/fhir/sid/icd-10-cm", code, display: `display ${code}` }] },
    evidence: [{ detail: [{ reference: "DocumentReference/note-1" }] }],
    note: [{ text: `Suggested by c 1 (embedded), confidence 0.80, diagnosis 2 of 3: title match (0.60), 1 mention, section final, affirmed.` }, { text: "Status: affirmed." }],
    ...extra,
  };
}

const provenance: Resource = {
  resourceType: "Provenance", target: [{ reference: "Condition/c1" }],
  entity: [{
    what: { reference: "DocumentReference/note-1/_history/2", display: "asthma" },
    extension: [{ url: "http://hl7.org/fhir/StructureDefinition/derivation-reference", extension: [
      { url: "reference", valueReference: { reference: "DocumentReference/note-1/_history/2" } },
      { url: "path", valueString: "DocumentReference.content[0].attachment" },
      { url: "offset", valueInteger: 40 }, { url: "length", valueInteger: 6 }] }],
  }],
};

describe("reading written codes", () => {
  it("takes spans from the Provenance and the review state from tag and status", () => {
    const evidence = spansByTarget([provenance]);
    const suggested = readCode(condition("c1", "J45.909"), evidence)!;
    expect(suggested).toMatchObject({ key: "Condition/c1", state: "suggested", note: "note-1", confidence: 0.8, rank: 2, status: "affirmed", principal: false });
    expect(suggested.spans).toEqual([{ offset: 40, length: 6, text: "asthma" }]);

    const rejected = readCode(condition("c2", "I10", {
      meta: { versionId: "2", tag: [reviewedTag] }, verificationStatus: { coding: [{ code: "entered-in-error" }] },
      note: [{ text: "Status: affirmed." }, { text: "Rejected by Practitioner/7: Negated or ruled out in the note" }],
    }), evidence)!;
    expect(rejected).toMatchObject({ state: "rejected", decidedBy: "Practitioner/7", reason: "Negated or ruled out in the note" });

    const added = readCode(condition("c3", "E11.9", { meta: { tag: [reviewedTag] }, note: [{ text: "Added by Practitioner/7." }] }), evidence)!;
    expect(added).toMatchObject({ state: "added", decidedBy: "Practitioner/7" });
    const accepted = readCode(condition("c4", "E78.5", { meta: { tag: [reviewedTag] }, note: [{ text: "Accepted by Practitioner/7." }] }), evidence)!;
    expect(accepted.state).toBe("accepted");
  });

  it("leaves out a suggestion a newer note version superseded, and reads a partial procedure", () => {
    expect(readCode(condition("c5", "R05", { verificationStatus: { coding: [{ code: "entered-in-error" }] } }), new Map())).toBeNull();
    const procedure = readCode({
      resourceType: "Procedure", id: "p1", status: "completed",
      meta: { tag: [machineTag, { system: "https://symphony-fhir.dev/CodeSystem/code-completeness", code: "incomplete" }] },
      code: { coding: [{ system: "http://www.cms.gov/Medicare/Coding/ICD10", code: "0DT", display: "Resection" }] },
      note: [{ text: "Suggested by c 1 (embedded), confidence 0.55." }],
    }, new Map())!;
    expect(procedure).toMatchObject({ kind: "procedure", partial: true, confidence: 0.55, state: "suggested" });
  });

  it("orders diagnoses by the coder's rank before procedures", () => {
    const codes = [
      { kind: "procedure", rank: undefined, confidence: 0.9, code: "0DT" },
      { kind: "diagnosis", rank: 2, confidence: 0.9, code: "I10" },
      { kind: "diagnosis", rank: 1, confidence: 0.5, code: "J45" },
    ] as ReviewCode[];
    expect(reviewOrder(codes).map(c => c.code)).toEqual(["J45", "I10", "0DT"]);
  });
});
