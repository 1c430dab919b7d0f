import { ehrLaunch } from "./smart";

// EHR launch: the EHR opens launch.html?iss=…&launch=…; fhirclient reads both and sends the user to sign in with them.
ehrLaunch().catch((error: Error) => {
  const main = document.getElementById("main")!;
  const p = document.createElement("p");
  p.className = "state error";
  p.setAttribute("role", "alert");
  p.textContent = `The launch failed: ${error.message}. Open the app again from the EHR.`;
  main.replaceChildren(p);
});
