import { describe, expect, it } from "vitest";
import type { ReviewCode } from "../src/codes";
import type { Resource } from "../src/fhirTypes";
import { changedMeanwhile, decodeBase64Utf8 } from "../src/review";
import { encounterSearch, isSuggested, rowStatus } from "../src/worklist";

function task(note: string, status: string, version = "1", contained?: Resource[]): Resource {
  return {
    resourceType: "Task", status, focus: { reference: `DocumentReference/${note}` },
    input: [{ type: { text: "focus version" }, valueString: version }], contained,
  };
}

describe("worklist status", () => {
  it("is 'coding' while a note has no Task yet or its Task is for an older version", () => {
    expect(rowStatus(1, [], new Map([["n1", "1"]]), 0, 0).status).toBe("coding");
    expect(rowStatus(1, [task("n1", "completed", "1")], new Map([["n1", "2"]]), 3, 0).status).toBe("coding");
    expect(rowStatus(1, [task("n1", "in-progress")], new Map([["n1", "1"]]), 0, 0).status).toBe("coding");
  });

  it("says why coding failed, in the words of the Task's OperationOutcome", () => {
    const failed = task("n1", "failed", "1", [{ resourceType: "OperationOutcome", issue: [{ diagnostics: "language 'fr' is not supported; supported: en, es" }] }]);
    expect(rowStatus(1, [failed], new Map([["n1", "1"]]), 0, 0)).toEqual({ status: "failed", failure: "language 'fr' is not supported; supported: en, es" });
  });

  it("is awaiting review while any code is still suggested, reviewed once none is", () => {
    const done = [task("n1", "completed"), task("n2", "completed")];
    const versions = new Map([["n1", "1"], ["n2", "1"]]);
    expect(rowStatus(2, done, versions, 1, 4).status).toBe("awaiting review");
    expect(rowStatus(2, done, versions, 0, 4).status).toBe("reviewed");
    expect(rowStatus(2, done, versions, 0, 0).status).toBe("no codes");
  });

  it("counts a superseded machine suggestion as nothing to review", () => {
    const tag = { system: "https://symphony-fhir.dev/CodeSystem/coding-origin", code: "machine-suggested" };
    expect(isSuggested({ resourceType: "Condition", meta: { tag: [tag] }, verificationStatus: { coding: [{ code: "provisional" }] } })).toBe(true);
    expect(isSuggested({ resourceType: "Condition", meta: { tag: [tag] }, verificationStatus: { coding: [{ code: "entered-in-error" }] } })).toBe(false);
    expect(isSuggested({ resourceType: "Procedure", meta: { tag: [tag] }, status: "entered-in-error" })).toBe(false);
    expect(isSuggested({ resourceType: "Condition", meta: { tag: [{ ...tag, code: "reviewed" }] } })).toBe(false);
    expect(isSuggested({ resourceType: "Condition", meta: { tag: [{ ...tag, code: "needs-review" }] }, verificationStatus: { coding: [{ code: "unconfirmed" }] } })).toBe(true);
  });

  it("asks the server for the filters it can answer, newest first", () => {
    const search = new URLSearchParams(encounterSearch({ from: "2024-01-01", to: "2024-12-31", patient: "p1", status: "all" }).split("?")[1]);
    expect(search.getAll("date")).toEqual(["ge2024-01-01", "le2024-12-31"]);
    expect(search.get("patient")).toBe("Patient/p1");
    expect(search.get("_sort")).toBe("-_lastUpdated");
  });
});

describe("conflicts and note text", () => {
  const code = (key: string, versionId: string, state: ReviewCode["state"] = "suggested") =>
    ({ key, versionId, state }) as ReviewCode;

  it("notices codes someone else decided or added since the screen was loaded", () => {
    const before = [code("Condition/a", "1"), code("Condition/b", "1")];
    expect(changedMeanwhile(before, [code("Condition/a", "1"), code("Condition/b", "1")])).toEqual([]);
    expect(changedMeanwhile(before, [code("Condition/a", "2", "accepted"), code("Condition/b", "1"), code("Condition/c", "1", "added")]).map(c => c.key))
      .toEqual(["Condition/a", "Condition/c"]);
  });

  it("decodes the attachment as UTF-8 and drops a BOM, as the server does", () => {
    const bytes = new TextEncoder().encode("\uFEFFcafé 🙂 ok");
    const base64 = btoa(String.fromCharCode(...bytes));
    expect(decodeBase64Utf8(base64)).toBe("café 🙂 ok");
  });
});

describe("refusals", () => {
  it("names the user/ scope a 403 asks for, and reads a 401 as an expired session", async () => {
    const { FhirError } = await import("../src/api");
    const forbidden = new FhirError(403, "403: The token's scopes do not allow this: it needs system/Condition.u (or user/Condition.u).");
    expect(forbidden.missingScope).toBe("user/Condition.u");
    expect(forbidden.expired).toBe(false);
    expect(new FhirError(403, "403: forbidden").missingScope).toBeUndefined();
    expect(new FhirError(401, "401: invalid_token").expired).toBe(true);
  });
});
