import type { Fhir } from "./api";
import { h } from "./dom";
import { searchCodes } from "./review";

export interface CodeChoice { system: string; code: string; display: string }

let ids = 0;

/**
 * A combobox that searches codes as the user types (ValueSet/$expand?filter=): arrow keys move through the
 * suggestions, Enter chooses, Escape closes. Every suggestion is also a button for the mouse.
 */
export function codeTypeahead(fhir: Fhir, system: () => string, label: string, onChoose: (choice: CodeChoice) => void): { element: HTMLElement; input: HTMLInputElement } {
  const id = `ta-${++ids}`;
  const list = h("ul", { id: `${id}-list`, role: "listbox", className: "suggestions", "aria-label": "Matching codes" });
  const input = h("input", {
    type: "text", id, role: "combobox", autocomplete: "off", "aria-autocomplete": "list", "aria-expanded": "false",
    "aria-controls": `${id}-list`, placeholder: "Type words or a code",
  });
  const hint = h("span", { className: "muted", id: `${id}-hint`, "aria-live": "polite" });
  let choices: CodeChoice[] = [];
  let active = -1;
  let timer: number | undefined;
  let inflight: AbortController | undefined;

  function render(): void {
    list.replaceChildren(...choices.map((c, i) => h("li", {
      id: `${id}-opt-${i}`, role: "option", "aria-selected": String(i === active), className: i === active ? "active" : "",
      onmousedown: (e: Event) => { e.preventDefault(); choose(i); },
    }, h("span", { className: "code-id" }, c.code), " ", c.display)));
    input.setAttribute("aria-expanded", String(choices.length > 0));
    if (active >= 0) input.setAttribute("aria-activedescendant", `${id}-opt-${active}`);
    else input.removeAttribute("aria-activedescendant");
  }

  function choose(i: number): void {
    const choice = choices[i];
    if (!choice) return;
    choices = []; active = -1; render();
    onChoose(choice);
  }

  async function search(): Promise<void> {
    const filter = input.value.trim();
    inflight?.abort();
    if (filter.length < 2) { choices = []; active = -1; hint.textContent = ""; render(); return; }
    inflight = new AbortController();
    try {
      choices = await searchCodes(fhir, system(), filter, inflight.signal);
      active = choices.length > 0 ? 0 : -1;
      hint.textContent = choices.length === 0 ? "No matching code." : `${choices.length} codes match.`;
      render();
    } catch (error) {
      if ((error as Error).name !== "AbortError") hint.textContent = `Search failed: ${(error as Error).message}`;
    }
  }

  input.addEventListener("input", () => { window.clearTimeout(timer); timer = window.setTimeout(() => void search(), 200); });
  input.addEventListener("keydown", (e: KeyboardEvent) => {
    if (e.key === "ArrowDown" && choices.length) { e.preventDefault(); active = (active + 1) % choices.length; render(); }
    else if (e.key === "ArrowUp" && choices.length) { e.preventDefault(); active = (active - 1 + choices.length) % choices.length; render(); }
    else if (e.key === "Enter") { e.preventDefault(); if (active >= 0) choose(active); }
    else if (e.key === "Escape" && choices.length) { e.preventDefault(); e.stopPropagation(); choices = []; active = -1; render(); }
  });
  const element = h("div", { className: "typeahead" }, h("label", { htmlFor: id }, label), input, hint, list);
  return { element, input };
}
