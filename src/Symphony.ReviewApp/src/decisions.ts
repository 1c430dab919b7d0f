import { ICD10CM, type EvidenceSpan, type ReviewCode } from "./codes";
import type { Resource } from "./fhirTypes";

export type Action = "accept" | "reject" | "add";

/** A decision the reviewer made on screen, not yet sent. */
export interface Decision {
  action: Action;
  system: string;
  code: string;
  display: string;
  /** The note (DocumentReference id) the code belongs to. */
  note: string;
  reason?: string;
  /** Evidence for an added code; accept and reject send none, so the server keeps the machine's. */
  spans?: EvidenceSpan[];
  /** The code this one replaces, when the reviewer changed a code (a reject of it and an add of this one). */
  replaces?: string;
}

/** Reasons offered for a reject; free text is always possible too. */
export const REJECT_REASONS = [
  "Not documented as a current condition",
  "Negated or ruled out in the note",
  "Not supported by the provider's documentation",
  "Integral to another coded condition",
  "More specific code applies",
  "Duplicate of another code",
] as const;

function key(d: { system: string; code: string; note: string }): string {
  return `${d.note}|${d.system}|${d.code}`;
}

/**
 * The decisions of one review, one per code and note: a later decision on the same code replaces the earlier one (as
 * the server's last decision wins), and undoing removes it.
 */
export class PendingDecisions {
  readonly #byCode = new Map<string, Decision>();

  set(decision: Decision): void {
    if (decision.action === "add" && !(decision.spans && decision.spans.length > 0))
      throw new Error(`An added code needs its evidence: select the words in the note that support ${decision.code}.`);
    this.#byCode.set(key(decision), decision);
  }

  accept(code: ReviewCode): void {
    this.set({ action: "accept", system: code.system, code: code.code, display: code.display, note: code.note });
  }

  reject(code: ReviewCode, reason: string | undefined): void {
    this.set({ action: "reject", system: code.system, code: code.code, display: code.display, note: code.note, reason: reason?.trim() || undefined });
  }

  /** Changes a code: rejects it ("changed to …") and adds the new code with the old code's evidence. */
  change(code: ReviewCode, to: { system: string; code: string; display: string }): void {
    if (to.code === code.code && to.system === code.system) return;
    this.set({ action: "add", system: to.system, code: to.code, display: to.display, note: code.note, spans: code.spans, replaces: code.code, reason: `replaces ${code.code}` });
    this.reject(code, `changed to ${to.code}`);
  }

  add(note: string, to: { system: string; code: string; display: string }, spans: EvidenceSpan[]): void {
    this.set({ action: "add", system: to.system, code: to.code, display: to.display, note, spans });
  }

  undo(d: { system: string; code: string; note: string }): void {
    const removed = this.#byCode.get(key(d));
    this.#byCode.delete(key(d));
    // Undoing a change undoes both halves.
    if (removed?.action === "reject" && removed.reason?.startsWith("changed to ")) {
      for (const [k, other] of this.#byCode) if (other.replaces === d.code && other.note === d.note) this.#byCode.delete(k);
    }
    if (removed?.replaces) this.#byCode.delete(key({ system: removed.system, code: removed.replaces, note: removed.note }));
  }

  get(d: { system: string; code: string; note: string }): Decision | undefined {
    return this.#byCode.get(key(d));
  }

  get all(): Decision[] {
    return [...this.#byCode.values()];
  }

  get size(): number {
    return this.#byCode.size;
  }

  clear(): void {
    this.#byCode.clear();
  }
}

/**
 * The body of one POST /Encounter/{id}/$review: a 'decision' per decision, each naming its note (a code is written per
 * note, and an add's spans are offsets into that note's text).
 */
export function reviewParameters(decisions: readonly Decision[]): Resource {
  return {
    resourceType: "Parameters",
    parameter: decisions.map(d => ({
      name: "decision",
      part: [
        { name: "code", valueCoding: { system: d.system, code: d.code, display: d.display } },
        { name: "action", valueCode: d.action },
        ...(d.reason ? [{ name: "reason", valueString: d.reason }] : []),
        { name: "note", valueReference: { reference: `DocumentReference/${d.note}` } },
        ...(d.action === "add" ? (d.spans ?? []).map(s => ({
          name: "span",
          part: [{ name: "offset", valueInteger: s.offset }, { name: "length", valueInteger: s.length }],
        })) : []),
      ],
    })),
  };
}

/** One diagnosis line of the Claim preview. */
export interface ClaimLine { code: string; display: string; principal: boolean; added: boolean }

/**
 * The Claim's diagnosis sequence as the server will bill it once these decisions are stored, by its rule
 * (docs/coding.md, "The encounter's Claim"): rejected codes off, added ones on, each code once; a principal (or
 * first-listed) diagnosis first, then highest confidence — an added code counts as fully confident — then the order
 * of the current Claim.
 */
export function claimPreview(claimOrder: readonly string[], codes: readonly ReviewCode[], pending: PendingDecisions): ClaimLine[] {
  const candidates: (ClaimLine & { confidence: number })[] = [];
  for (const c of codes) {
    if (c.kind !== "diagnosis" || c.system !== ICD10CM) continue;
    const action = pending.get(c)?.action;
    if (action === "reject" || (action === undefined && c.state === "rejected")) continue;
    candidates.push({ code: c.code, display: c.display, principal: c.principal, added: c.state === "added", confidence: c.state === "added" ? 1 : c.confidence ?? 0 });
  }
  for (const d of pending.all)
    if (d.action === "add" && d.system === ICD10CM) candidates.push({ code: d.code, display: d.display, principal: false, added: true, confidence: 1 });
  const order = (code: string) => { const i = claimOrder.indexOf(code); return i < 0 ? Number.MAX_SAFE_INTEGER : i; };
  candidates.sort((a, b) => Number(b.principal) - Number(a.principal) || b.confidence - a.confidence || order(a.code) - order(b.code));
  const lines: ClaimLine[] = [];
  for (const { code, display, principal, added } of candidates)
    if (!lines.some(l => l.code === code)) lines.push({ code, display, principal, added });
  return lines;
}
