import type { Fhir } from "./api";
import type { Bundle, CodeableConcept, Coding, Meta, Reference, Resource } from "./fhirTypes";
import { CODING_ORIGIN } from "./codes";

export type EncounterStatus = "awaiting review" | "reviewed" | "coding" | "failed" | "no codes";

export interface WorklistRow {
  encounter: string;
  date?: string;
  type?: string;
  patient?: string;
  patientName?: string;
  notes: number;
  suggested: number;
  reviewed: number;
  status: EncounterStatus;
  /** Why the coding failed, in the server's words (the failed Task's OperationOutcome). */
  failure?: string;
}

export interface WorklistFilters {
  /** yyyy-mm-dd: encounters on or after / on or before. */
  from?: string;
  to?: string;
  patient?: string;
  status: "awaiting review" | "reviewed" | "coding" | "failed" | "all";
}

export interface WorklistPage {
  rows: WorklistRow[];
  /** The server's next page of encounters, to continue from; undefined at the end. */
  next?: string;
  /** Encounters looked at to fill this page (a status filter skips some). */
  scanned: number;
}

/** Encounters per server page; a filtered page reads further server pages until it has this many rows. */
export const PAGE_SIZE = 20;
const MAX_SERVER_PAGES = 10;

/** The search that lists encounters newest first (the server sorts by _lastUpdated only), with the filters it can answer itself. */
export function encounterSearch(filters: WorklistFilters): string {
  const q = new URLSearchParams({ _count: String(PAGE_SIZE), _sort: "-_lastUpdated", _include: "Encounter:patient" });
  if (filters.from) q.append("date", `ge${filters.from}`);
  if (filters.to) q.append("date", `le${filters.to}`);
  if (filters.patient) q.set("patient", filters.patient.includes("/") ? filters.patient : `Patient/${filters.patient}`);
  return `Encounter?${q}`;
}

function tagged(meta: Meta | undefined, code: string): boolean {
  return (meta?.tag ?? []).some(t => t.system === CODING_ORIGIN && t.code === code);
}

function nameOf(patient: Resource | undefined): string | undefined {
  const name = (patient?.name as { text?: string; given?: string[]; family?: string }[] | undefined)?.[0];
  if (!name) return undefined;
  return name.text ?? [...(name.given ?? []), name.family].filter(Boolean).join(" ");
}

/**
 * A written code is pending review while it carries the machine-suggested tag and is not a superseded suggestion, or is
 * marked needs-review (a decision of an earlier note version whose evidence changed).
 */
export function isSuggested(resource: Resource): boolean {
  if (tagged(resource.meta, "needs-review")) return true;
  if (!tagged(resource.meta, "machine-suggested")) return false;
  if (resource.resourceType === "Procedure") return resource.status !== "entered-in-error";
  const status = (resource.verificationStatus as CodeableConcept | undefined)?.coding ?? [];
  return !status.some((c: Coding) => c.code === "entered-in-error");
}

/** One row's status from its counts and its notes' coding Tasks: a note not coded yet makes the encounter "coding". */
export function rowStatus(notes: number, tasks: readonly Resource[], noteVersions: ReadonlyMap<string, string>, suggested: number, reviewed: number): { status: EncounterStatus; failure?: string } {
  let coding = 0;
  for (const [note, version] of noteVersions) {
    const task = tasks.find(t => ((t.focus as Reference | undefined)?.reference ?? "") === `DocumentReference/${note}`);
    const focusVersion = ((task?.input as { type?: CodeableConcept; valueString?: string }[] | undefined) ?? []).find(i => i.type?.text === "focus version")?.valueString;
    if (task?.status === "failed" && focusVersion === version) {
      const outcome = ((task.contained as Resource[] | undefined) ?? []).find(r => r.resourceType === "OperationOutcome") as { issue?: { diagnostics?: string }[] } | undefined;
      return { status: "failed", failure: outcome?.issue?.map(i => i.diagnostics).filter(Boolean).join(" ") || (task.statusReason as CodeableConcept | undefined)?.text || "coding failed" };
    }
    if (!task || task.status !== "completed" || (focusVersion !== undefined && focusVersion !== version)) coding++;
  }
  if (notes > 0 && coding > 0) return { status: "coding" };
  if (suggested > 0) return { status: "awaiting review" };
  if (reviewed > 0) return { status: "reviewed" };
  return { status: "no codes" };
}

function ids(list: readonly string[]): string { return list.join(","); }

/** The rows of one server page of encounters: their notes, coding Tasks and written codes, four searches for the whole page (three at once). */
async function rowsOf(fhir: Fhir, bundle: Bundle): Promise<WorklistRow[]> {
  const encounters = (bundle.entry ?? []).filter(e => e.search?.mode !== "include" && e.resource?.resourceType === "Encounter").map(e => e.resource!);
  if (encounters.length === 0) return [];
  const patients = new Map((bundle.entry ?? []).filter(e => e.resource?.resourceType === "Patient").map(e => [`Patient/${e.resource!.id}`, e.resource!]));
  const refs = encounters.map(e => `Encounter/${e.id}`);
  // The notes' Tasks are asked as soon as the notes are known, while the codes are still being read.
  const notesAndTasks = fhir.searchAll(`DocumentReference?encounter=${ids(refs)}&_count=1000`).then(async notes =>
    [notes, notes.length === 0 ? [] : await fhir.searchAll(`Task?focus=${ids(notes.map(n => `DocumentReference/${n.id}`))}&_count=1000`)] as const);
  const [[notes, tasks], conditions, procedures] = await Promise.all([
    notesAndTasks,
    fhir.searchAll(`Condition?encounter=${ids(refs)}&_count=1000`),
    fhir.searchAll(`Procedure?encounter=${ids(refs)}&_count=1000`),
  ]);
  const encounterOf = (r: Resource) => ((r.encounter as Reference | undefined)?.reference
    ?? ((r.context as { encounter?: Reference[] } | undefined)?.encounter?.[0]?.reference) ?? "");
  return encounters.map(encounter => {
    const ref = `Encounter/${encounter.id}`;
    const ownNotes = notes.filter(n => encounterOf(n) === ref);
    const codes = [...conditions, ...procedures].filter(c => encounterOf(c) === ref);
    const suggested = codes.filter(isSuggested).length;
    const reviewed = codes.filter(c => tagged(c.meta, "reviewed")).length;
    const versions = new Map(ownNotes.map(n => [n.id!, n.meta?.versionId ?? ""]));
    const { status, failure } = rowStatus(ownNotes.length, tasks, versions, suggested, reviewed);
    const patient = (encounter.subject as Reference | undefined)?.reference;
    const period = encounter.period as { start?: string } | undefined;
    const type = (encounter.type as CodeableConcept[] | undefined)?.[0];
    return {
      encounter: encounter.id!, date: period?.start, type: type?.text ?? type?.coding?.[0]?.display,
      patient, patientName: nameOf(patient ? patients.get(patient) : undefined) ?? (encounter.subject as Reference | undefined)?.display,
      notes: ownNotes.length, suggested, reviewed, status, failure,
    };
  });
}

/**
 * One page of the worklist: encounters with notes, newest first, that match the filters. The status filter is the
 * app's (the server has no search for it), so a filtered page may read several server pages; it stops after
 * {@link MAX_SERVER_PAGES} and offers to continue.
 */
export async function worklistPage(fhir: Fhir, filters: WorklistFilters, from?: string): Promise<WorklistPage> {
  const rows: WorklistRow[] = [];
  let next: string | undefined = from ?? encounterSearch(filters);
  let scanned = 0;
  for (let i = 0; next && i < MAX_SERVER_PAGES && rows.length < PAGE_SIZE; i++) {
    const bundle: Bundle = await fhir.request<Bundle>(next);
    const page = await rowsOf(fhir, bundle);
    scanned += page.length;
    rows.push(...page.filter(r => r.notes > 0 && (filters.status === "all" || r.status === filters.status)));
    next = bundle.link?.find(l => l.relation === "next")?.url;
  }
  return { rows, next, scanned };
}
