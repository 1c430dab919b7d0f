import { FhirError } from "./api";
import { clear, h } from "./dom";
import { forgetSession, launchedFromEhr, signIn } from "./smart";

function mainElement(): HTMLElement { return document.getElementById("main")!; }

/** The app's one place for a failed request: each refusal says what it means and what to do. */
export function showError(error: unknown, retry?: () => void): void {
  if (error instanceof FhirError && error.expired) return showExpired();
  const message = error instanceof FhirError
    ? error.status === 403
      ? `You are not allowed to do this: ${error.missingScope ? `the sign-in did not grant the scope ${error.missingScope}` : error.message}. Ask an administrator to grant it, then sign in again.`
      : error.status === 0 ? error.message : `The server refused the request (${error.message}).`
    : `Something went wrong: ${(error as Error)?.message ?? String(error)}`;
  clear(mainElement(), h("div", { className: "state error", role: "alert" },
    h("p", {}, message),
    retry ? h("button", { type: "button", onclick: retry }, "Try again") : null));
  mainElement().focus();
}

/** An expired or refused token: the user signs in again (or, launched from an EHR, opens the app from the EHR again). */
export function showExpired(): void {
  const ehr = launchedFromEhr();
  forgetSession();
  clear(mainElement(), h("div", { className: "state error", role: "alert" },
    h("p", {}, "Your session has expired. Nothing you had not submitted was sent."),
    ehr ? h("p", {}, "Open the workbench again from the EHR to continue.")
      : h("button", { type: "button", id: "sign-in-again", onclick: () => void signIn() }, "Sign in again")));
  mainElement().focus();
}

