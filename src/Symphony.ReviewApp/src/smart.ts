import FHIR from "fhirclient";
import type Client from "fhirclient/lib/Client";

/** The built-in public client of the server's authorisation server (docs/auth.md). */
export const CLIENT_ID = "symphony-review";

/**
 * The least the app needs: read the worklist (Encounter, Patient, the notes and their coding Tasks, the written
 * Conditions, Procedures, Provenance and Claim), and update Conditions and Procedures, which is what a $review decision
 * writes; openid fhirUser so the server records the person as the reviewer. ValueSet/$expand and inline $code need
 * only a valid token.
 */
export const SCOPES = [
  "openid", "fhirUser",
  "user/Encounter.rs", "user/Patient.r", "user/DocumentReference.rs", "user/Binary.r", "user/Task.s",
  "user/Condition.s", "user/Condition.u", "user/Procedure.s", "user/Procedure.u", "user/Provenance.s", "user/Claim.s",
].join(" ");

/** The FHIR base the app is served under: the server serves the app at {base}/review/. */
export function fhirBase(location: { href: string }): string {
  return new URL("../", location.href).href.replace(/\/$/, "");
}

/** Where the server sends the user back after sign-in: the app's index (a registered redirect URI). */
export function redirectUri(location: { href: string }): string {
  return new URL("./", location.href).href;
}

/** Standalone launch: the user signs in at the server's authorisation server and picks what to review. */
export function signIn(): Promise<string | void> {
  sessionStorage.removeItem("symphony-review-launch");
  return FHIR.oauth2.authorize({ clientId: CLIENT_ID, scope: SCOPES, iss: fhirBase(window.location), redirectUri: redirectUri(window.location), pkceMode: "required" });
}

/** EHR launch (launch.html?iss=…&launch=…): the launch context names the encounter or patient to review. */
export function ehrLaunch(): Promise<string | void> {
  sessionStorage.setItem("symphony-review-launch", "ehr");
  return FHIR.oauth2.authorize({ clientId: CLIENT_ID, scope: `launch ${SCOPES}`, redirectUri: redirectUri(window.location), pkceMode: "required" });
}

/** True when the current session came from an EHR launch (re-launching then means opening the app from the EHR again). */
export function launchedFromEhr(): boolean {
  return sessionStorage.getItem("symphony-review-launch") === "ehr";
}

/** The session after a redirect back from sign-in, or the one this tab already has; null when there is none. */
export async function session(): Promise<Client | null> {
  const params = new URLSearchParams(window.location.search);
  const hasState = params.has("state") || Object.keys(sessionStorage).includes("SMART_KEY");
  if (!hasState) return null;
  try {
    return await FHIR.oauth2.ready();
  } catch {
    return null;
  }
}

/** Forgets the session, so the next launch asks the user to sign in again. */
export function forgetSession(): void {
  const ehr = launchedFromEhr();
  sessionStorage.clear();
  if (ehr) sessionStorage.setItem("symphony-review-launch", "ehr");
}
