import { FhirError, type Fhir } from "./api";
import { ICD10CM, ICD10PCS, statusWords, type ReviewCode } from "./codes";
import { PendingDecisions, REJECT_REASONS, claimPreview, reviewParameters, type Decision } from "./decisions";
import { announce, clear, h } from "./dom";
import { showError } from "./errors";
import type { Resource } from "./fhirTypes";
import { changedMeanwhile, loadReview, rejectedCandidates, type Note } from "./review";
import { segment, selectionSpan, type Span } from "./spans";
import { codeTypeahead } from "./typeahead";

const STATE_WORDS: Record<string, string> = { suggested: "suggested", accepted: "accepted", rejected: "rejected", added: "added" };
const PENDING_WORDS: Record<string, string> = { accept: "to accept", reject: "to reject", add: "to add" };

/** The key an added (not yet submitted) code is highlighted and listed under. */
function addedKey(d: Decision): string { return `add:${d.note}|${d.system}|${d.code}`; }

/** The review screen of one encounter: its notes with every evidence span highlighted beside its codes. */
export async function showReview(main: HTMLElement, fhir: Fhir, encounterId: string): Promise<void> {
  clear(main, h("p", { className: "state", role: "status" }, "Loading the encounter…"));
  let review = await loadReview(fhir, encounterId);
  const pending = new PendingDecisions();
  let currentNote = review.notes[0]?.id;
  let focusedKey: string | undefined;
  let selection: { note: string; offset: number; length: number } | null = null;
  let banner: { text: string; kind: "info" | "error" } | null = null;
  let findFrom = 0;

  const noteText = h("pre", { className: "note", id: "note-text", tabindex: "0", "aria-label": "Note text; highlighted words are evidence for a code" });
  const spanInfo = h("div", { id: "span-info", className: "span-info", "aria-live": "polite" });
  const addPanel = h("div", { id: "add-panel" });
  const tabs = h("div", { role: "tablist", className: "tabs", "aria-label": "Notes of this encounter" });
  const codesPane = h("section", { className: "codes-pane", "aria-label": "Codes" });
  const head = h("header", { className: "review-head" });
  const findInput = h("input", { type: "text", id: "find-text", autocomplete: "off", placeholder: "Words in the note" });
  const addButton = h("button", { type: "button", id: "add-code", disabled: true, onclick: () => openAdd() }, "Add a code for the selected words");

  const note = (): Note | undefined => review.notes.find(n => n.id === currentNote);
  const codeByKey = (key: string) => review.codes.find(c => c.key === key);

  function spansOf(noteId: string): Span[] {
    const spans: Span[] = [];
    for (const c of review.codes) if (c.note === noteId) for (const s of c.spans) spans.push({ offset: s.offset, length: s.length, code: c.key });
    for (const d of pending.all) if (d.action === "add" && d.note === noteId) for (const s of d.spans ?? []) spans.push({ offset: s.offset, length: s.length, code: addedKey(d) });
    return spans;
  }

  function labelOf(key: string): string {
    const c = codeByKey(key);
    if (c) return `${c.code} ${c.display}`;
    const d = pending.all.find(p => addedKey(p) === key);
    return d ? `${d.code} ${d.display} (to add)` : key;
  }

  function renderHead(): void {
    const enc = review.encounter;
    const start = (enc.period as { start?: string } | undefined)?.start;
    const type = (enc.type as { text?: string; coding?: { display?: string }[] }[] | undefined)?.[0];
    const status = review.status;
    clear(head,
      h("a", { href: "#/", className: "back" }, "← Worklist"),
      h("h2", { id: "review-title" }, `${review.patientName ?? "Patient"} · ${start?.slice(0, 10) ?? "no date"}${type ? ` · ${type.text ?? type.coding?.[0]?.display}` : ""}`),
      status.status === "coding" ? h("div", { className: "banner info", role: "status", id: "still-coding" },
        "A note of this encounter is still being coded: its codes are not all here yet (looked at again every few seconds). ",
        h("button", { type: "button", onclick: () => void reload() }, "Check again")) : null,
      status.status === "failed" ? h("div", { className: "banner error", role: "alert", id: "coding-failed" },
        `Coding failed: ${status.failure}`) : null,
      banner ? h("div", { className: `banner ${banner.kind}`, role: banner.kind === "error" ? "alert" : "status", id: "review-banner" }, banner.text) : null);
  }

  function renderTabs(): void {
    if (review.notes.length <= 1) { clear(tabs); tabs.hidden = true; return; }
    tabs.hidden = false;
    clear(tabs, ...review.notes.map((n, i) => h("button", {
      type: "button", role: "tab", id: `tab-${n.id}`, "aria-selected": String(n.id === currentNote), tabindex: n.id === currentNote ? "0" : "-1",
      onclick: () => { currentNote = n.id; renderNote(); renderTabs(); },
      onkeydown: (e: KeyboardEvent) => {
        if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
        const next = review.notes[(i + (e.key === "ArrowRight" ? 1 : review.notes.length - 1)) % review.notes.length];
        currentNote = next.id; renderNote(); renderTabs(); document.getElementById(`tab-${next.id}`)?.focus();
      },
    }, `${n.title}${n.date ? ` (${n.date.slice(0, 10)})` : ""}`)));
  }

  function renderNote(): void {
    const n = note();
    if (!n) { clear(noteText, "This encounter has no note."); return; }
    if (n.text === null) { clear(noteText, `The note cannot be shown: ${n.problem}`); return; }
    noteText.setAttribute("aria-labelledby", review.notes.length > 1 ? `tab-${n.id}` : "review-title");
    const segments = segment(n.text, spansOf(n.id));
    clear(noteText, ...segments.map(s => s.codes.length === 0
      ? h("span", { dataset: { start: String(s.start) } }, s.text)
      : h("mark", {
        dataset: { start: String(s.start), codes: s.codes.join(" ") },
        className: s.codes.length > 1 ? "overlap" : "",
        title: s.codes.map(labelOf).join("\n"),
        onclick: () => showSpanCodes(s.codes),
      }, s.text)));
    if (focusedKey) light(focusedKey, false);
  }

  function showSpanCodes(keys: string[]): void {
    if (window.getSelection()?.isCollapsed === false) return; // selecting text, not asking
    clear(spanInfo, h("p", {}, "These words support: "), h("ul", {}, ...keys.map(k => h("li", {},
      h("button", { type: "button", className: "link", onclick: () => focusCode(k) }, labelOf(k))))));
  }

  /** Scrolls the note (not the page) so the element sits a third of the way down it. */
  function scrollNoteTo(el: Element): void {
    noteText.scrollTop += el.getBoundingClientRect().top - noteText.getBoundingClientRect().top - noteText.clientHeight / 3;
  }

  /** Lights the code's spans and scrolls the note to the first. */
  function light(key: string, scroll: boolean): void {
    for (const m of noteText.querySelectorAll("mark.lit")) m.classList.remove("lit");
    let first: Element | null = null;
    for (const m of noteText.querySelectorAll<HTMLElement>("mark")) {
      if ((m.dataset.codes ?? "").split(" ").includes(key)) { m.classList.add("lit"); first ??= m; }
    }
    if (scroll && first) scrollNoteTo(first);
  }

  function focusCode(key: string): void {
    const c = codeByKey(key);
    const noteId = c?.note ?? pending.all.find(d => addedKey(d) === key)?.note;
    if (noteId && noteId !== currentNote) { currentNote = noteId; renderTabs(); renderNote(); }
    focusedKey = key;
    codesPane.querySelector<HTMLElement>(`li.code[data-key="${CSS.escape(key)}"]`)?.focus();
  }

  function codeItem(c: ReviewCode): HTMLLIElement {
    const decision = pending.get(c);
    const item = h("li", {
      className: `code state-${c.state}${decision ? ` pending-${decision.action}` : ""}`, tabindex: "0",
      dataset: { key: c.key, code: c.code }, "aria-labelledby": `${CSS.escape(c.key)}-label`,
      onfocus: () => { focusedKey = c.key; if (c.note !== currentNote) { currentNote = c.note; renderTabs(); renderNote(); } light(c.key, true); },
      onmouseenter: () => light(c.key, true),
      onmouseleave: () => { if (focusedKey) light(focusedKey, false); },
    });
    const noteTitle = review.notes.length > 1 ? review.notes.find(n => n.id === c.note)?.title : undefined;
    clear(item,
      h("div", { className: "code-head", id: `${c.key}-label` },
        h("span", { className: "code-id" }, c.code), " ", h("span", { className: "display" }, c.display), " ",
        h("span", { className: `badge state-${c.state}` }, STATE_WORDS[c.state]),
        decision ? h("span", { className: `badge pending` }, ` ${PENDING_WORDS[decision.action]}${decision.reason ? `: ${decision.reason}` : ""}`) : null,
        c.principal ? h("span", { className: "badge principal" }, "principal") : null,
        c.partial ? h("span", { className: "badge partial" }, "partial code: not billed") : null),
      h("dl", { className: "facts" },
        c.confidence !== undefined ? [h("dt", {}, "Confidence"), h("dd", {}, c.confidence.toFixed(2))] : null,
        c.kind === "diagnosis" ? [h("dt", {}, "Status"), h("dd", {}, statusWords(c.status))] : null,
        c.rank !== undefined ? [h("dt", {}, "Rank"), h("dd", {}, String(c.rank))] : null,
        [h("dt", {}, "Evidence"), h("dd", {}, c.spans.length === 0 ? "none quoted" : c.spans.map(s => `“${s.text ?? ""}”`).join(", "))],
        noteTitle ? [h("dt", {}, "Note"), h("dd", {}, noteTitle)] : null,
        c.decidedBy ? [h("dt", {}, "Decided by"), h("dd", {}, `${c.decidedBy}${c.reason ? `: ${c.reason}` : ""}`)] : null),
      c.rules.length > 0 ? h("ul", { className: "rules", "aria-label": "Rules" }, ...c.rules.map(r => h("li", {}, r))) : null,
      c.basis ? h("p", { className: "basis muted" }, `Why this confidence: ${c.basis}`) : null,
      h("div", { className: "actions" },
        h("button", { type: "button", className: "accept", onclick: () => accept(c) }, "Accept"),
        h("button", { type: "button", className: "reject", onclick: () => openReject(c) }, "Reject"),
        h("button", { type: "button", className: "change", onclick: () => openChange(c) }, "Change code"),
        decision ? h("button", { type: "button", className: "undo", onclick: () => undo(c) }, "Undo") : null),
      h("div", { className: "inline-form" }));
    return item;
  }

  function addedItem(d: Decision): HTMLLIElement {
    const key = addedKey(d);
    return h("li", {
      className: "code pending-add", tabindex: "0", dataset: { key, code: d.code },
      onfocus: () => { focusedKey = key; light(key, true); }, onmouseenter: () => light(key, true),
    },
      h("div", { className: "code-head" }, h("span", { className: "code-id" }, d.code), " ", h("span", { className: "display" }, d.display), " ",
        h("span", { className: "badge pending" }, d.replaces ? `to add, replacing ${d.replaces}` : "to add")),
      h("dl", { className: "facts" }, h("dt", {}, "Evidence"), h("dd", {}, (d.spans ?? []).map(s => `“${note()?.text?.slice(s.offset, s.offset + s.length) ?? ""}”`).join(", "))),
      h("div", { className: "actions" }, h("button", { type: "button", className: "undo", onclick: () => { pending.undo(d); afterChange(`Removed ${d.code}.`); } }, "Undo")));
  }

  function renderCodes(): void {
    const diagnoses = review.codes.filter(c => c.kind === "diagnosis" && c.state !== "rejected");
    const procedures = review.codes.filter(c => c.kind === "procedure" && c.state !== "rejected");
    const rejectedByPeople = review.codes.filter(c => c.state === "rejected");
    const adds = pending.all.filter(d => d.action === "add");
    const claim = claimPreview(review.claimOrder, review.codes, pending);
    const submit = h("button", { type: "button", id: "submit-review", className: "primary", disabled: pending.size === 0, onclick: () => void submitReview() }, "Submit review");
    const rejectedCandidatesBox = h("details", { id: "rejected-candidates" }, h("summary", {}, "Candidates the coder rejected"), h("div", { className: "content" }));
    rejectedCandidatesBox.addEventListener("toggle", () => { if (rejectedCandidatesBox.open) void loadRejected(rejectedCandidatesBox.querySelector(".content")!); }, { once: true });
    clear(codesPane,
      h("h3", { id: "dx-title" }, `Diagnoses (${diagnoses.length + adds.filter(d => d.system !== ICD10PCS).length})`),
      diagnoses.length + adds.length === 0 && review.codes.length === 0 ? h("p", { className: "state empty" }, "No code was written for this encounter.") : null,
      h("ol", { className: "codes", "aria-labelledby": "dx-title" }, ...diagnoses.map(codeItem), ...adds.filter(d => d.system !== ICD10PCS).map(addedItem)),
      h("h3", { id: "px-title" }, `Procedures (${procedures.length + adds.filter(d => d.system === ICD10PCS).length})`),
      h("ol", { className: "codes", "aria-labelledby": "px-title" }, ...procedures.map(codeItem), ...adds.filter(d => d.system === ICD10PCS).map(addedItem)),
      rejectedByPeople.length > 0 ? h("details", { id: "rejected-codes" }, h("summary", {}, `Rejected by a reviewer (${rejectedByPeople.length})`),
        h("ol", { className: "codes" }, ...rejectedByPeople.map(codeItem))) : null,
      rejectedCandidatesBox,
      h("section", { className: "claim-preview", "aria-labelledby": "claim-title" },
        h("h3", { id: "claim-title" }, "Claim preview: diagnoses as they will be billed"),
        claim.length === 0 ? h("p", { className: "muted" }, "No billable diagnosis.") :
          h("ol", { id: "claim-preview" }, ...claim.map(l => h("li", { dataset: { code: l.code } },
            h("span", { className: "code-id" }, l.code), " ", l.display, l.principal ? " (principal)" : "", l.added ? " (added)" : "")))),
      h("div", { className: "submit-bar" },
        h("span", { id: "pending-count" }, pending.size === 0 ? "No decision yet." : `${pending.size} decision${pending.size === 1 ? "" : "s"} to submit.`),
        submit),
      h("p", { className: "keys muted" }, "Keys: j / k next or previous code · a accept · r reject · c change code · u undo · f find words · n add a code for the selected words · Ctrl+Enter submit"));
  }

  async function loadRejected(box: HTMLElement): Promise<void> {
    clear(box, h("p", { className: "state" }, "Asking the coder…"));
    try {
      const lists = await Promise.all(review.notes.map(n => rejectedCandidates(fhir, n, review.encounter)));
      const all = lists.flat();
      clear(box, all.length === 0 ? h("p", { className: "muted" }, "The coder rejected no candidate.")
        : h("ul", {}, ...all.map(r => h("li", {}, h("span", { className: "code-id" }, r.code), ` ${r.display}: `, h("span", { className: "muted" }, r.reason)))));
    } catch (error) {
      clear(box, h("p", { className: "error" }, `The rejected candidates could not be read: ${(error as Error).message}`));
    }
  }

  function itemOf(c: ReviewCode): HTMLElement | null {
    return codesPane.querySelector<HTMLElement>(`li.code[data-key="${CSS.escape(c.key)}"]`);
  }

  function afterChange(message: string): void {
    const key = focusedKey;
    renderCodes(); renderNote();
    if (key) codesPane.querySelector<HTMLElement>(`li.code[data-key="${CSS.escape(key)}"]`)?.focus();
    announce(message);
  }

  function accept(c: ReviewCode): void { pending.accept(c); focusedKey = c.key; afterChange(`${c.code} will be accepted.`); }
  function undo(c: ReviewCode): void { pending.undo(c); focusedKey = c.key; afterChange(`Decision on ${c.code} undone.`); }

  function openReject(c: ReviewCode): void {
    focusedKey = c.key;
    const slot = itemOf(c)?.querySelector(".inline-form");
    if (!slot) return;
    const name = `reason-${c.key}`;
    const other = h("input", { type: "text", id: `${name}-other`, autocomplete: "off" });
    const form = h("form", { className: "reject-form", onsubmit: (e: Event) => {
      e.preventDefault();
      const chosen = form.querySelector<HTMLInputElement>(`input[name="${CSS.escape(name)}"]:checked`)?.value;
      const reason = other.value.trim() || (chosen && chosen !== "other" ? chosen : undefined);
      pending.reject(c, reason);
      afterChange(`${c.code} will be rejected${reason ? `: ${reason}` : ""}.`);
    }, onkeydown: (e: KeyboardEvent) => { if (e.key === "Escape") { e.stopPropagation(); clear(slot); itemOf(c)?.focus(); } } },
      h("fieldset", {}, h("legend", {}, `Why reject ${c.code}?`),
        ...REJECT_REASONS.map((r, i) => h("label", { className: "radio" }, h("input", { type: "radio", name, value: r, checked: i === 0 }), ` ${r}`)),
        h("label", { htmlFor: `${name}-other` }, "Or in your words ", other)),
      h("button", { type: "submit", className: "reject" }, `Reject ${c.code}`),
      h("button", { type: "button", onclick: () => { clear(slot); itemOf(c)?.focus(); } }, "Cancel"));
    clear(slot, form);
    form.querySelector<HTMLInputElement>("input[type=radio]")?.focus();
  }

  function openChange(c: ReviewCode): void {
    focusedKey = c.key;
    const slot = itemOf(c)?.querySelector(".inline-form");
    if (!slot) return;
    const { element, input } = codeTypeahead(fhir, () => c.system, `Change ${c.code} to`, choice => {
      pending.change(c, choice);
      afterChange(`${c.code} will be replaced by ${choice.code}.`);
    });
    element.addEventListener("keydown", (e: KeyboardEvent) => { if (e.key === "Escape") { e.stopPropagation(); clear(slot); itemOf(c)?.focus(); } });
    clear(slot, element);
    input.focus();
  }

  function captureSelection(): void {
    const n = note();
    const sel = window.getSelection();
    if (!n?.text || !sel || sel.isCollapsed || !sel.anchorNode || !sel.focusNode || !noteText.contains(sel.anchorNode) || !noteText.contains(sel.focusNode)) return;
    const at = (node: Node, offset: number) => {
      const el = (node.nodeType === Node.TEXT_NODE ? node.parentElement : node as Element)?.closest<HTMLElement>("[data-start]");
      if (!el) return node === noteText ? (offset === 0 ? 0 : n.text!.length) : 0;
      return Number(el.dataset.start) + (node.nodeType === Node.TEXT_NODE ? offset : 0);
    };
    const span = selectionSpan(n.text, at(sel.anchorNode, sel.anchorOffset), at(sel.focusNode, sel.focusOffset));
    setSelection(span ? { note: n.id, ...span } : null);
  }

  function setSelection(s: typeof selection): void {
    selection = s;
    addButton.disabled = selection === null;
    const words = selection ? note()?.text?.slice(selection.offset, selection.offset + selection.length) : undefined;
    addButton.textContent = words ? `Add a code for “${words.length > 40 ? `${words.slice(0, 40)}…` : words}”` : "Add a code for the selected words";
  }

  /** Keyboard users find words instead of dragging: the next occurrence becomes the selection. */
  function find(): void {
    const n = note();
    const words = findInput.value.trim();
    if (!n?.text || !words) return;
    const lower = n.text.toLowerCase();
    let at = lower.indexOf(words.toLowerCase(), findFrom);
    if (at < 0) at = lower.indexOf(words.toLowerCase());
    if (at < 0) { setSelection(null); announce(`“${words}” is not in this note.`); return; }
    findFrom = at + words.length;
    setSelection({ note: n.id, offset: at, length: words.length });
    selectRange(at, at + words.length);
    addButton.focus(); // the next step: code the words found
    announce(`Found “${n.text.slice(at, at + words.length)}”. Press Enter to add a code for it.`);
  }

  function selectRange(start: number, end: number): void {
    const pieces = [...noteText.querySelectorAll<HTMLElement>("[data-start]")];
    const locate = (offset: number): [Node, number] | null => {
      for (const p of pieces) {
        const s = Number(p.dataset.start), len = p.textContent?.length ?? 0;
        if (offset >= s && offset <= s + len && p.firstChild) return [p.firstChild, offset - s];
      }
      return null;
    };
    const a = locate(start), b = locate(end);
    if (!a || !b) return;
    const range = document.createRange();
    range.setStart(a[0], a[1]); range.setEnd(b[0], b[1]);
    const sel = window.getSelection();
    sel?.removeAllRanges(); sel?.addRange(range);
    if (a[0].parentElement) scrollNoteTo(a[0].parentElement);
  }

  function openAdd(): void {
    if (!selection) { announce("Select the words in the note that support the code first (or find them)."); findInput.focus(); return; }
    const chosen = selection;
    const words = review.notes.find(n => n.id === chosen.note)?.text?.slice(chosen.offset, chosen.offset + chosen.length) ?? "";
    const system = h("select", { id: "add-system" }, h("option", { value: ICD10CM }, "Diagnosis (ICD-10-CM)"), h("option", { value: ICD10PCS }, "Procedure (ICD-10-PCS)"));
    const { element, input } = codeTypeahead(fhir, () => system.value, "Code", choice => {
      try {
        pending.add(chosen.note, choice, [{ offset: chosen.offset, length: chosen.length }]);
      } catch (error) { announce((error as Error).message); return; }
      clear(addPanel);
      focusedKey = `add:${chosen.note}|${choice.system}|${choice.code}`;
      setSelection(null);
      afterChange(`${choice.code} will be added with the words “${words}”.`);
    });
    clear(addPanel, h("div", { className: "add-form", role: "group", "aria-label": "Add a code", onkeydown: (e: KeyboardEvent) => { if (e.key === "Escape") { e.stopPropagation(); clear(addPanel); noteText.focus(); } } },
      h("p", {}, "Evidence: ", h("q", {}, words)),
      h("label", { htmlFor: "add-system" }, "Kind ", system), element,
      h("button", { type: "button", onclick: () => { clear(addPanel); noteText.focus(); } }, "Cancel")));
    input.focus();
  }

  async function reload(message?: { text: string; kind: "info" | "error" }): Promise<void> {
    review = await loadReview(fhir, encounterId);
    if (!review.notes.some(n => n.id === currentNote)) currentNote = review.notes[0]?.id;
    banner = message ?? null;
    render();
  }

  async function submitReview(): Promise<void> {
    if (pending.size === 0) { announce("There is no decision to submit."); return; }
    const button = document.getElementById("submit-review") as HTMLButtonElement | null;
    if (button) { button.disabled = true; button.textContent = "Submitting…"; }
    try {
      // Someone else may have reviewed this encounter since it was opened: show theirs, send nothing.
      const now = await loadReview(fhir, encounterId);
      const theirs = changedMeanwhile(review.codes, now.codes);
      const notesChanged = now.notes.some(n => review.notes.find(o => o.id === n.id)?.versionId !== n.versionId);
      if (theirs.length > 0 || notesChanged) {
        const count = pending.size;
        pending.clear();
        review = now;
        banner = {
          kind: "error",
          text: notesChanged
            ? `A note of this encounter changed while you were reviewing it; your ${count} decisions were not sent. Review its new version.`
            : `Someone else reviewed this encounter while you were working: ${theirs.map(c => `${c.code} ${c.state}${c.decidedBy ? ` by ${c.decidedBy}` : ""}`).join(", ")}. Their decisions are shown below; your ${count} decisions were not sent.`,
        };
        render();
        document.getElementById("review-banner")?.focus();
        return;
      }
      const count = pending.size;
      await fhir.request<Resource>(`Encounter/${encodeURIComponent(encounterId)}/$review`, { method: "POST", body: reviewParameters(pending.all) });
      pending.clear();
      await reload({ kind: "info", text: `Your ${count} decision${count === 1 ? " was" : "s were"} saved.` });
      announce(`Saved ${count} decisions.`);
    } catch (error) {
      if (error instanceof FhirError && !error.expired) {
        // Kept on screen with the decisions, so they can be corrected (422) or sent again once allowed (403).
        banner = {
          kind: "error",
          text: error.status === 403 && error.missingScope
            ? `The review was not saved: your sign-in does not grant ${error.missingScope}. Ask an administrator for it, then sign in again.`
            : `The review was not saved: ${error.message}`,
        };
        render();
        return;
      }
      showError(error);
    }
  }

  // While a note is still being coded, look again every few seconds (until it is done or the screen is left).
  let polling: number | undefined;
  function pollWhileCoding(): void {
    window.clearTimeout(polling);
    if (review.status.status !== "coding" || pending.size > 0) return;
    polling = window.setTimeout(() => {
      if (main.contains(layout)) void reload(banner ?? undefined).catch(() => undefined);
    }, 3000);
  }

  function render(): void {
    pollWhileCoding();
    renderHead(); renderTabs(); renderNote(); renderCodes(); setSelection(null);
    if (focusedKey) codesPane.querySelector<HTMLElement>(`li.code[data-key="${CSS.escape(focusedKey)}"]`)?.focus();
  }

  function move(step: number): void {
    const items = [...codesPane.querySelectorAll<HTMLElement>("li.code")].filter(i => i.offsetParent !== null || !("offsetParent" in i));
    if (items.length === 0) return;
    const at = items.findIndex(i => i === document.activeElement || i.contains(document.activeElement));
    const next = items[at < 0 ? (step > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, at + step))];
    next.focus();
  }

  function onKey(e: KeyboardEvent): void {
    if (!main.contains(layout)) { document.removeEventListener("keydown", onKey); return; }
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); void submitReview(); return; }
    const target = e.target as HTMLElement;
    if (target.closest("input, textarea, select, form, .add-form") || e.ctrlKey || e.metaKey || e.altKey) return;
    const current = focusedKey ? codeByKey(focusedKey) : undefined;
    const onCode = target.closest("li.code") !== null;
    switch (e.key) {
      case "j": case "ArrowDown": if (onCode || e.key === "j") { e.preventDefault(); move(1); } break;
      case "k": case "ArrowUp": if (onCode || e.key === "k") { e.preventDefault(); move(-1); } break;
      case "a": if (current) { e.preventDefault(); accept(current); } break;
      case "r": if (current) { e.preventDefault(); openReject(current); } break;
      case "c": if (current) { e.preventDefault(); openChange(current); } break;
      case "u": if (current) { e.preventDefault(); undo(current); } break;
      case "n": e.preventDefault(); openAdd(); break;
      case "f": e.preventDefault(); findInput.focus(); findInput.select(); break;
    }
  }

  noteText.addEventListener("mouseup", captureSelection);
  noteText.addEventListener("keyup", captureSelection);
  const layout = h("div", { className: "review" }, head,
    h("div", { className: "panes" },
      h("section", { className: "note-pane", "aria-label": "Notes" }, tabs,
        h("div", { className: "note-tools" },
          h("form", { className: "find", onsubmit: (e: Event) => { e.preventDefault(); find(); } },
            h("label", { htmlFor: "find-text" }, "Find words to code "), findInput, h("button", { type: "submit" }, "Find")),
          addButton),
        addPanel, noteText, spanInfo),
      codesPane));
  clear(main, layout);
  document.addEventListener("keydown", onKey);
  render();
  if (review.notes.length === 0) clear(noteText, "This encounter has no note to review.");
  (codesPane.querySelector<HTMLElement>("li.code") ?? main).focus();
  announce(`${review.codes.filter(c => c.state === "suggested").length} codes to review.`);
}
