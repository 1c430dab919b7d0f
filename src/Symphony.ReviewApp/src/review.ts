import type { Fhir } from "./api";
import { readCode, reviewOrder, spansByTarget, type ReviewCode } from "./codes";
import type { CodeableConcept, Reference, Resource } from "./fhirTypes";
import { rowStatus } from "./worklist";

export interface Note {
  id: string;
  versionId: string;
  title: string;
  date?: string;
  /** The note text as the server decoded it (evidence offsets index it); null with the reason when it cannot be shown. */
  text: string | null;
  problem?: string;
  /** An HTML note is shown as its source: the server blanks the markup in place, so offsets are offsets into it. */
  html: boolean;
}

export interface Rejected { system: string; code: string; display: string; reason: string }

export interface EncounterReview {
  encounter: Resource;
  patientName?: string;
  notes: Note[];
  codes: ReviewCode[];
  /** The Claim's diagnosis codes in billing order, as the server last wrote it. */
  claimOrder: string[];
  status: ReturnType<typeof rowStatus>;
}

/** Compares what was loaded with what the server holds now: the codes someone else decided meanwhile. */
export function changedMeanwhile(before: readonly ReviewCode[], now: readonly ReviewCode[]): ReviewCode[] {
  return now.filter(c => {
    const earlier = before.find(b => b.key === c.key);
    return earlier ? earlier.versionId !== c.versionId : c.state !== "suggested";
  });
}

/** Decodes base64 UTF-8 as the server does (a leading BOM is not note text). */
export function decodeBase64Utf8(data: string): string {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const text = new TextDecoder("utf-8").decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

async function noteOf(fhir: Fhir, document: Resource): Promise<Note> {
  const attachment = (document.content as { attachment?: { contentType?: string; data?: string; url?: string; title?: string } }[] | undefined)?.[0]?.attachment;
  const type = (document.type as CodeableConcept | undefined);
  const title = attachment?.title ?? (document.description as string | undefined) ?? type?.text ?? type?.coding?.[0]?.display ?? "Note";
  const contentType = attachment?.contentType?.split(";")[0].trim().toLowerCase() ?? "text/plain";
  const base: Omit<Note, "text"> = { id: document.id!, versionId: document.meta?.versionId ?? "", title, date: document.date as string | undefined, html: contentType === "text/html" || contentType === "application/xhtml+xml" };
  try {
    let data = attachment?.data;
    if (!data && attachment?.url) {
      const binary = await fhir.request<Resource>(attachment.url.replace(/^.*?(Binary\/[^/?#]+).*$/, "$1"));
      data = binary.data as string | undefined;
    }
    if (!data) return { ...base, text: null, problem: "The note has no text the server can read (no attachment data or Binary)." };
    return { ...base, text: decodeBase64Utf8(data) };
  } catch (error) {
    return { ...base, text: null, problem: (error as Error).message };
  }
}

/** Everything the review screen shows for one encounter: its notes, their coding state, the written codes with their evidence, the Claim. */
export async function loadReview(fhir: Fhir, encounterId: string): Promise<EncounterReview> {
  const ref = `Encounter/${encounterId}`;
  const [encounter, documents, conditions, procedures, claims] = await Promise.all([
    fhir.request<Resource>(`Encounter/${encounterId}`),
    fhir.searchAll(`DocumentReference?encounter=${ref}&_count=100`),
    fhir.searchAll(`Condition?encounter=${ref}&_count=1000`),
    fhir.searchAll(`Procedure?encounter=${ref}&_count=1000`),
    fhir.searchAll(`Claim?encounter=${ref}&_count=10`),
  ]);
  const written = [...conditions, ...procedures];
  const [tasks, provenances, notes, patient] = await Promise.all([
    documents.length === 0 ? Promise.resolve([]) : fhir.searchAll(`Task?focus=${documents.map(d => `DocumentReference/${d.id}`).join(",")}&_count=100`),
    written.length === 0 ? Promise.resolve([]) : provenanceOf(fhir, written.map(r => `${r.resourceType}/${r.id}`)),
    Promise.all(documents.map(d => noteOf(fhir, d))),
    patientName(fhir, (encounter.subject as Reference | undefined)?.reference),
  ]);
  const evidence = spansByTarget(provenances);
  const codes = reviewOrder(written.map(r => readCode(r, evidence)).filter(c => c !== null));
  const suggested = codes.filter(c => c.state === "suggested").length;
  const reviewed = codes.length - suggested;
  const claimOrder = ((claims[0]?.diagnosis as { sequence?: number; diagnosisCodeableConcept?: CodeableConcept }[] | undefined) ?? [])
    .slice().sort((a, b) => (a.sequence ?? 0) - (b.sequence ?? 0))
    .map(d => d.diagnosisCodeableConcept?.coding?.[0]?.code ?? "").filter(c => c.length > 0);
  const status = rowStatus(documents.length, tasks, new Map(documents.map(d => [d.id!, d.meta?.versionId ?? ""])), suggested, reviewed);
  return { encounter, patientName: patient, notes, codes, claimOrder, status };
}

/** Provenance of many targets, in searches short enough for the URL limit. */
async function provenanceOf(fhir: Fhir, targets: string[]): Promise<Resource[]> {
  const found: Resource[] = [];
  for (let i = 0; i < targets.length; i += 40)
    found.push(...await fhir.searchAll(`Provenance?target=${targets.slice(i, i + 40).join(",")}&_count=1000`));
  return found;
}

async function patientName(fhir: Fhir, reference: string | undefined): Promise<string | undefined> {
  if (!reference) return undefined;
  try {
    const patient = await fhir.request<Resource>(reference);
    const name = (patient.name as { text?: string; given?: string[]; family?: string }[] | undefined)?.[0];
    return name?.text ?? [...(name?.given ?? []), name?.family].filter(Boolean).join(" ");
  } catch {
    return undefined; // the name is a convenience; the review works without it
  }
}

/**
 * The candidates the coder considered and rejected, with its reasons. The server keeps them only in a $code answer,
 * so they are asked of POST /$code with the note text (nothing is stored), the encounter's setting and date.
 */
export async function rejectedCandidates(fhir: Fhir, note: Note, encounter: Resource): Promise<Rejected[]> {
  if (note.text === null) return [];
  const klass = (encounter.class as { code?: string } | undefined)?.code ?? "";
  const setting = ["IMP", "ACUTE", "NONAC"].includes(klass) ? "inpatient" : "outpatient";
  const date = ((encounter.period as { start?: string } | undefined)?.start ?? note.date ?? "").slice(0, 10);
  const parameter: { name: string; valueString?: string; valueCode?: string; valueDate?: string }[] = [
    { name: "text", valueString: note.text }, { name: "setting", valueCode: setting },
  ];
  if (date) parameter.push({ name: "date", valueDate: date });
  const answer = await fhir.request<Resource>("$code", { method: "POST", body: { resourceType: "Parameters", parameter } });
  const rejected = ((answer.parameter as { name: string; part?: { name: string; valueCoding?: { system?: string; code?: string; display?: string }; valueString?: string }[] }[] | undefined) ?? [])
    .filter(p => p.name === "rejected");
  return rejected.map(p => {
    const coding = p.part?.find(x => x.name === "code")?.valueCoding;
    return { system: coding?.system ?? "", code: coding?.code ?? "", display: coding?.display ?? "", reason: p.part?.find(x => x.name === "reason")?.valueString ?? "" };
  });
}

/** Type-ahead through ValueSet/$expand?filter= over the code system the code is in (ICD-10-CM for diagnoses, ICD-10-PCS for procedures). */
export async function searchCodes(fhir: Fhir, system: string, filter: string, signal?: AbortSignal): Promise<{ system: string; code: string; display: string }[]> {
  const q = new URLSearchParams({ url: `${system}?fhir_vs`, filter, count: "12" });
  const expansion = await fhir.request<Resource>(`ValueSet/$expand?${q}`, { signal });
  const contains = ((expansion.expansion as { contains?: { system?: string; code?: string; display?: string }[] } | undefined)?.contains) ?? [];
  return contains.filter(c => c.code).map(c => ({ system: c.system ?? system, code: c.code!, display: c.display ?? c.code! }));
}
