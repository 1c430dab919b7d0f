import { Fhir } from "./api";
import { announce, clear, h } from "./dom";
import { showError } from "./errors";
import { session, signIn } from "./smart";
import { showReview } from "./reviewView";
import { showWorklist } from "./worklistView";

const main = document.getElementById("main")!;

function showSignIn(): void {
  clear(main, h("section", { className: "sign-in" },
    h("h2", {}, "Review machine-suggested codes"),
    h("p", {}, "Sign in to see the encounters whose codes are waiting for review."),
    h("button", { type: "button", id: "sign-in", onclick: () => void signIn() }, "Sign in")));
}

async function route(fhir: Fhir): Promise<void> {
  const hash = window.location.hash.replace(/^#/, "");
  const encounter = /^\/encounter\/([^/?]+)/.exec(hash)?.[1];
  try {
    if (encounter) await showReview(main, fhir, decodeURIComponent(encounter));
    else await showWorklist(main, fhir, new URLSearchParams(hash.split("?")[1] ?? ""));
  } catch (error) {
    showError(error, () => void route(fhir));
  }
}

async function start(): Promise<void> {
  const client = await session();
  if (!client) return showSignIn();
  const fhir = new Fhir(client);
  // Back from sign-in: drop code and state from the address, keep the route.
  if (window.location.search) history.replaceState(null, "", window.location.pathname + window.location.hash);
  document.getElementById("user")!.textContent = fhir.user ? `Signed in as ${fhir.user}` : "";
  if (!window.location.hash || window.location.hash === "#/") {
    if (fhir.encounterContext) window.location.hash = `#/encounter/${fhir.encounterContext}`;
    else if (fhir.patientContext) window.location.hash = `#/?patient=${encodeURIComponent(fhir.patientContext)}&status=all`;
  }
  window.addEventListener("hashchange", () => { announce(""); void route(fhir); });
  await route(fhir);
}

void start();
