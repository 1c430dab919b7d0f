import type { Fhir } from "./api";
import { announce, clear, h } from "./dom";
import { showError } from "./errors";
import { worklistPage, type WorklistFilters, type WorklistRow } from "./worklist";

const STATUSES: WorklistFilters["status"][] = ["awaiting review", "reviewed", "coding", "failed", "all"];

function filtersOf(query: URLSearchParams): WorklistFilters {
  const status = query.get("status") as WorklistFilters["status"] | null;
  return {
    from: query.get("from") || undefined, to: query.get("to") || undefined, patient: query.get("patient") || undefined,
    status: status && STATUSES.includes(status) ? status : "awaiting review",
  };
}

function queryOf(filters: WorklistFilters): string {
  const q = new URLSearchParams();
  if (filters.from) q.set("from", filters.from);
  if (filters.to) q.set("to", filters.to);
  if (filters.patient) q.set("patient", filters.patient);
  if (filters.status !== "awaiting review") q.set("status", filters.status);
  return q.toString();
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function formatDate(iso: string | undefined): string {
  return iso ? iso.slice(0, 10) : "—";
}

function row(r: WorklistRow): HTMLTableRowElement {
  const label = `${r.patientName ?? r.patient ?? "Unknown patient"}, ${formatDate(r.date)}`;
  return h("tr", { dataset: { encounter: r.encounter } },
    h("td", {}, h("a", { href: `#/encounter/${encodeURIComponent(r.encounter)}`, "aria-label": `Review ${label}` }, formatDate(r.date))),
    h("td", {}, r.patientName ?? r.patient ?? "—"),
    h("td", {}, r.type ?? "—"),
    h("td", { className: "num" }, String(r.notes)),
    h("td", { className: "num" }, String(r.suggested)),
    h("td", { className: "num" }, String(r.reviewed)),
    h("td", {}, h("span", { className: `badge status-${r.status.replace(/\s/g, "-")}`, title: r.failure }, r.status),
      r.failure ? h("span", { className: "failure" }, ` ${r.failure}`) : null));
}

/** The worklist: encounters with machine-suggested codes, newest first, filtered and paged. */
export async function showWorklist(main: HTMLElement, fhir: Fhir, query: URLSearchParams): Promise<void> {
  const filters = filtersOf(query);
  const pages: (string | undefined)[] = [undefined];
  let pageIndex = 0;

  const from = h("input", { type: "date", id: "f-from", name: "from", value: filters.from ?? "" });
  const to = h("input", { type: "date", id: "f-to", name: "to", value: filters.to ?? "" });
  const patient = h("input", { type: "text", id: "f-patient", name: "patient", value: filters.patient ?? "", placeholder: "Patient id", autocomplete: "off" });
  const status = h("select", { id: "f-status", name: "status" }, ...STATUSES.map(s => h("option", { value: s, selected: s === filters.status }, s)));
  const form = h("form", { className: "filters", "aria-label": "Worklist filters", onsubmit: (e: Event) => {
    e.preventDefault();
    window.location.hash = `#/?${queryOf({ from: from.value || undefined, to: to.value || undefined, patient: patient.value.trim() || undefined, status: status.value as WorklistFilters["status"] })}`;
  } },
    h("label", { htmlFor: "f-from" }, "From ", from),
    h("label", { htmlFor: "f-to" }, "To ", to),
    h("label", { htmlFor: "f-patient" }, "Patient ", patient),
    h("label", { htmlFor: "f-status" }, "Status ", status),
    h("button", { type: "submit" }, "Apply"));
  const results = h("section", { id: "worklist", "aria-labelledby": "worklist-title", "aria-busy": "true" });
  clear(main, h("h2", { id: "worklist-title" }, "Worklist"), form, results);

  async function load(): Promise<void> {
    results.setAttribute("aria-busy", "true");
    clear(results, h("p", { className: "state" }, "Loading the worklist…"));
    const started = performance.now();
    const page = await worklistPage(fhir, filters, pages[pageIndex]);
    const elapsed = Math.round(performance.now() - started);
    pages[pageIndex + 1] = page.next;
    results.setAttribute("aria-busy", "false");
    results.dataset.loadMs = String(elapsed);
    const pager = h("nav", { className: "pager", "aria-label": "Worklist pages" },
      h("button", { type: "button", id: "prev-page", disabled: pageIndex === 0, onclick: () => { pageIndex--; void load().catch(e => showError(e, () => void load())); } }, "Previous page"),
      h("span", {}, `Page ${pageIndex + 1}`),
      h("button", { type: "button", id: "next-page", disabled: !page.next, onclick: () => { pageIndex++; void load().catch(e => showError(e, () => void load())); } }, "Next page"));
    if (page.rows.length === 0) {
      clear(results, h("p", { className: "state empty" }, page.next
        ? `No encounter among the ${page.scanned} looked at is ${filters.status}. Look further with Next page.`
        : filters.status === "awaiting review" ? "Nothing is waiting for review: every coded encounter that matches the filters has been reviewed." : "No encounter matches these filters."), pager);
      announce("The worklist is empty.");
      return;
    }
    const suggested = page.rows.reduce((n, r) => n + r.suggested, 0);
    clear(results,
      h("p", { className: "summary" }, `${plural(page.rows.length, "encounter")} on this page, ${plural(suggested, "code")} waiting for review.`,
        h("span", { className: "muted" }, ` Loaded in ${elapsed} ms.`)),
      h("table", { className: "worklist" },
        h("caption", { className: "visually-hidden" }, "Encounters, newest first"),
        h("thead", {}, h("tr", {}, ...["Date", "Patient", "Encounter", "Notes", "Suggested", "Reviewed", "Status"].map(t => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...page.rows.map(row))),
      pager);
    announce(`Worklist loaded: ${plural(page.rows.length, "encounter")}.`);
  }
  await load();
}
