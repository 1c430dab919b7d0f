import type { Annotation, CodeableConcept, Extension, Meta, Reference, Resource } from "./fhirTypes";

/** Systems and tags the server writes (docs/coding.md). */
export const ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm";
export const ICD10PCS = "http://www.cms.gov/Medicare/Coding/ICD10";
export const CODING_ORIGIN = "https://symphony-fhir.dev/CodeSystem/coding-origin";
export const CODE_COMPLETENESS = "https://symphony-fhir.dev/CodeSystem/code-completeness";
export const DERIVATION_REFERENCE = "http://hl7.org/fhir/StructureDefinition/derivation-reference";

export type CodeStatus = "affirmed" | "uncertain" | "history" | "family";
/** Where a code stands: as the machine suggested it, or as a person left it (the server's review states). */
export type ReviewState = "suggested" | "accepted" | "rejected" | "added";

export interface EvidenceSpan { offset: number; length: number; text?: string }

/** One written code (a Condition or a Procedure) as the review screen shows it. */
export interface ReviewCode {
  /** Unique within the review: "Condition/{id}" or "Procedure/{id}". */
  key: string;
  kind: "diagnosis" | "procedure";
  system: string;
  code: string;
  display: string;
  /** The note (DocumentReference id) the code was found in. */
  note: string;
  /** The resource version read, to notice when someone else changes it. */
  versionId?: string;
  confidence?: number;
  /** "diagnosis 2 of 5" as the coder ranked the note's diagnoses. */
  rank?: number;
  /** Why the confidence is what it is, as the server words it ("principal diagnosis (Section II): …; synonym match (0.70) …"). */
  basis?: string;
  /** The note names it as the principal (inpatient) or first-listed (outpatient) diagnosis. */
  principal: boolean;
  status?: CodeStatus;
  /** The rules that fired, in the server's coder words (RuleWording), one per entry. */
  rules: string[];
  state: ReviewState;
  /** Who decided and why (the note the review wrote), when a person did. */
  decidedBy?: string;
  reason?: string;
  /** A partial ICD-10-PCS code (table prefix), never billed. */
  partial: boolean;
  spans: EvidenceSpan[];
}

const SUGGESTED = /^Suggested by .*?, confidence (\d+(?:\.\d+)?)(?:, diagnosis (\d+) of (\d+))?(?::\s*(.*?))?\.?$/s;
const STATUS = /^Status: (\w+)\.(?: Rules: (.*)\.)?$/s;
const DECIDED = /^(Accepted|Rejected|Added) by (\S+?)(?:: (.*?))?\.?$/s;

/** The ranking note "Suggested by …, confidence 0.77, diagnosis 1 of 4: basis." read back into its parts. */
export function readSuggestion(text: string): { confidence?: number; rank?: number; basis?: string } {
  const m = SUGGESTED.exec(text.trim());
  if (!m) return {};
  return { confidence: Number(m[1]), rank: m[2] ? Number(m[2]) : undefined, basis: m[4]?.trim() || undefined };
}

/**
 * The status note "Status: uncertain. Rules: a; b." read back: the server words each rule for a coder (RuleWording) and
 * joins them with "; ", so the app shows those words as they are and only splits the list.
 */
export function readStatus(text: string): { status?: CodeStatus; rules: string[] } {
  const m = STATUS.exec(text.trim());
  if (!m) return { rules: [] };
  const status = (["affirmed", "uncertain", "history", "family"] as const).find(s => s === m[1].toLowerCase());
  return { status, rules: m[2] ? splitRules(m[2]) : [] };
}

/** Splits "a; b; c" at the separators the server puts between rules, not at a ';' inside a quoted term ('…'). */
export function splitRules(list: string): string[] {
  const rules: string[] = [];
  let quoted = false, current = "";
  for (let i = 0; i < list.length; i++) {
    const ch = list[i];
    if (ch === "'") quoted = !quoted;
    if (!quoted && ch === ";" && list[i + 1] === " ") { rules.push(current.trim()); current = ""; i++; continue; }
    current += ch;
  }
  if (current.trim()) rules.push(current.trim());
  return rules;
}

/** The status words a coder reads. */
export function statusWords(status: CodeStatus | undefined): string {
  switch (status) {
    case "affirmed": return "affirmed";
    case "uncertain": return "uncertain (coded as established)";
    case "history": return "history (past condition)";
    case "family": return "family history";
    default: return "not stated";
  }
}

function tagged(meta: Meta | undefined, system: string, code: string): boolean {
  return (meta?.tag ?? []).some(t => t.system === system && t.code === code);
}

function noteTexts(resource: Resource): string[] {
  return ((resource.note as Annotation[] | undefined) ?? []).map(n => n.text ?? "");
}

/**
 * A Condition or Procedure the coder or a reviewer wrote, read as a review code. Returns null for a resource the review
 * does not show: a machine suggestion a newer note version no longer supports (entered-in-error, still machine-suggested).
 * Spans come from the resource's Provenance (see {@link spansByTarget}).
 */
export function readCode(resource: Resource, spans: ReadonlyMap<string, { note: string; spans: EvidenceSpan[] }>): ReviewCode | null {
  const kind = resource.resourceType === "Procedure" ? "procedure" : "diagnosis";
  const coding = (resource.code as CodeableConcept | undefined)?.coding?.[0];
  if (!coding?.system || !coding.code || !resource.id) return null;
  const key = `${resource.resourceType}/${resource.id}`;
  const reviewed = tagged(resource.meta, CODING_ORIGIN, "reviewed");
  const enteredInError = kind === "procedure"
    ? resource.status === "entered-in-error"
    : ((resource.verificationStatus as CodeableConcept | undefined)?.coding ?? []).some(c => c.code === "entered-in-error");
  if (enteredInError && !reviewed) return null;

  const notes = noteTexts(resource);
  const suggestion = notes.map(readSuggestion).find(s => s.confidence !== undefined) ?? {};
  const status = notes.map(readStatus).find(s => s.status !== undefined) ?? { rules: [] };
  const decision = notes.map(n => DECIDED.exec(n.trim())).filter(m => m !== null).pop();
  let state: ReviewState = "suggested";
  if (reviewed) state = enteredInError ? "rejected" : decision?.[1] === "Added" ? "added" : "accepted";

  const evidence = spans.get(key);
  const documentRef = ((resource.evidence as { detail?: Reference[] }[] | undefined)?.[0]?.detail?.[0]?.reference) ?? "";
  const note = evidence?.note ?? documentRef.replace(/^DocumentReference\//, "");
  return {
    key, kind, system: coding.system, code: coding.code,
    display: coding.display ?? (resource.code as CodeableConcept).text ?? coding.code,
    note, versionId: resource.meta?.versionId,
    confidence: suggestion.confidence, rank: suggestion.rank, basis: suggestion.basis,
    principal: /^(principal|first-listed) diagnosis/.test(suggestion.basis ?? ""),
    status: status.status, rules: status.rules, state,
    decidedBy: reviewed ? decision?.[2] : undefined,
    reason: reviewed ? decision?.[3] : undefined,
    partial: tagged(resource.meta, CODE_COMPLETENESS, "incomplete"),
    spans: evidence?.spans ?? [],
  };
}

/**
 * Each Provenance's evidence spans by its target ("Condition/{id}"): one derivation-reference extension per span
 * (offset, length, the note version), with the quoted words as the entity's display.
 */
export function spansByTarget(provenances: readonly Resource[]): Map<string, { note: string; spans: EvidenceSpan[] }> {
  const byTarget = new Map<string, { note: string; spans: EvidenceSpan[] }>();
  for (const provenance of provenances) {
    const target = (provenance.target as Reference[] | undefined)?.[0]?.reference;
    if (!target) continue;
    const entities = (provenance.entity as { what?: Reference; extension?: Extension[] }[] | undefined) ?? [];
    let note = "";
    const spans: EvidenceSpan[] = [];
    for (const entity of entities) {
      const source = entity.what?.reference ?? "";
      if (!note) note = /^DocumentReference\/([^/]+)/.exec(source)?.[1] ?? "";
      for (const ext of entity.extension ?? []) {
        if (ext.url !== DERIVATION_REFERENCE) continue;
        const part = (name: string) => ext.extension?.find(e => e.url === name);
        const offset = part("offset")?.valueInteger, length = part("length")?.valueInteger;
        if (offset !== undefined && length !== undefined) spans.push({ offset, length, text: entity.what?.display });
      }
    }
    byTarget.set(target, { note, spans });
  }
  return byTarget;
}

/** Codes in the order a coder reviews them: diagnoses by the coder's rank (added ones last), then procedures. */
export function reviewOrder(codes: readonly ReviewCode[]): ReviewCode[] {
  return [...codes].sort((a, b) =>
    (a.kind === b.kind ? 0 : a.kind === "diagnosis" ? -1 : 1)
    || (a.rank ?? Number.MAX_SAFE_INTEGER) - (b.rank ?? Number.MAX_SAFE_INTEGER)
    || (b.confidence ?? 0) - (a.confidence ?? 0)
    || a.code.localeCompare(b.code));
}
