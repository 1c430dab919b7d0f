/** A tiny element builder: the app's screens are plain DOM, so text is always set as text, never parsed as markup. */
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2).toLowerCase(), value as EventListener);
    else if (name === "className") el.className = String(value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name.includes("-") || name === "role" || !(name in el)) el.setAttribute(name, value === true ? "" : String(value));
    else (el as unknown as Record<string, unknown>)[name] = value;
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

export function clear(el: Element, ...children: Child[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}

/** Tells screen readers (and the visible status line) what just happened. */
export function announce(message: string): void {
  const status = document.getElementById("status");
  if (status) status.textContent = message;
}
