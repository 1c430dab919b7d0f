import { describe, expect, it } from "vitest";
import { segment, selectionSpan } from "../src/spans";

const joined = (text: string, spans: Parameters<typeof segment>[1]) => segment(text, spans).map(s => s.text).join("");

describe("segment", () => {
  it("cuts overlapping spans so each run knows every code covering it", () => {
    const text = "chronic kidney disease stage 3";
    const segments = segment(text, [{ offset: 0, length: 22, code: "ckd" }, { offset: 8, length: 22, code: "stage" }]);
    expect(segments.map(s => [s.text, s.codes])).toEqual([
      ["chronic ", ["ckd"]],
      ["kidney disease", ["ckd", "stage"]],
      [" stage 3", ["stage"]],
    ]);
    expect(joined(text, [{ offset: 0, length: 22, code: "ckd" }])).toBe(text);
  });

  it("keeps a nested span inside its outer one, outermost code first", () => {
    const text = "type 2 diabetes mellitus with nephropathy";
    const segments = segment(text, [{ offset: 7, length: 8, code: "inner" }, { offset: 0, length: text.length, code: "outer" }]);
    expect(segments.map(s => [s.text, s.codes])).toEqual([
      ["type 2 ", ["outer"]],
      ["diabetes", ["outer", "inner"]],
      [" mellitus with nephropathy", ["outer"]],
    ]);
  });

  it("handles spans at the very start and end of the note, and clips one past the end", () => {
    const text = "Hypertension. Seen today. Asthma";
    const segments = segment(text, [{ offset: 0, length: 12, code: "I10" }, { offset: 26, length: 10, code: "J45" }]);
    expect(segments[0]).toMatchObject({ start: 0, end: 12, text: "Hypertension", codes: ["I10"] });
    expect(segments[segments.length - 1]).toMatchObject({ start: 26, end: 32, text: "Asthma", codes: ["J45"] });
    expect(segments.map(s => s.text).join("")).toBe(text);
  });

  it("indexes non-ASCII text in UTF-16 code units, as the server's offsets are", () => {
    // "é" is one code unit; the emoji is two: offsets after them count them so.
    const text = "Patiënte 🙂 con diabetes tipo 2 y hipertensión arterial";
    const diabetes = text.indexOf("diabetes"), hypertension = text.indexOf("hipertensión");
    const segments = segment(text, [{ offset: diabetes, length: 15, code: "E11" }, { offset: hypertension, length: 21, code: "I10" }]);
    expect(segments.find(s => s.codes.includes("E11"))!.text).toBe("diabetes tipo 2");
    expect(segments.find(s => s.codes.includes("I10"))!.text).toBe("hipertensión arterial");
    expect(segments.map(s => s.text).join("")).toBe(text);
  });

  it("ignores empty and wholly outside spans, and merges runs with the same codes", () => {
    const text = "no findings";
    expect(segment(text, [{ offset: 3, length: 0, code: "x" }, { offset: 40, length: 3, code: "y" }])).toEqual([{ start: 0, end: 11, text, codes: [] }]);
    expect(segment(text, [{ offset: 0, length: 2, code: "a" }, { offset: 2, length: 3, code: "a" }]).map(s => s.text)).toEqual(["no fi", "ndings"]);
  });

  it("lists a code once in a run even if two of its spans cover it", () => {
    const segments = segment("asthma", [{ offset: 0, length: 6, code: "J45" }, { offset: 0, length: 6, code: "J45" }]);
    expect(segments).toEqual([{ start: 0, end: 6, text: "asthma", codes: ["J45"] }]);
  });
});

describe("selectionSpan", () => {
  it("orders a backwards selection and trims surrounding whitespace", () => {
    const text = "History of  atrial fibrillation \n";
    expect(selectionSpan(text, 33, 10)).toEqual({ offset: 12, length: 19 });
    expect(text.substr(12, 19)).toBe("atrial fibrillation");
  });

  it("is null for a selection of whitespace only", () => {
    expect(selectionSpan("a   b", 1, 4)).toBeNull();
  });
});
