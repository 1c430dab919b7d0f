// A SMART app written with the fhirclient library's Node adapter, as a third party would write one: /launch starts a
// standalone launch against FHIR_BASE, /app finishes it and reads the patient in context. It prints its port, then serves
// until its parent closes its standard input.
"use strict";
const http = require("http");
const smart = require("fhirclient");

const fhirBase = process.env.FHIR_BASE;
const clientId = process.env.CLIENT_ID;
const scope = process.env.SCOPE || "openid fhirUser launch/patient patient/*.rs";
// One browser uses this app in the test: one session is enough.
const session = {};

const server = http.createServer(async (req, res) => {
  req.session = session;
  const url = new URL(req.url, "http://" + req.headers.host);
  try {
    if (url.pathname === "/launch") {
      await smart(req, res).authorize({
        iss: fhirBase,
        clientId,
        scope,
        redirectUri: "http://" + req.headers.host + "/app",
        pkceMode: "required",
      });
      return;
    }
    if (url.pathname === "/app") {
      const client = await smart(req, res).ready();
      const patient = await client.patient.read();
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ patient: client.patient.id, fhirUser: client.user.fhirUser, resource: patient }));
      return;
    }
    res.writeHead(404);
    res.end();
  } catch (error) {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(error && error.stack || error));
  }
});

server.listen(0, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
process.stdin.on("end", () => server.close(() => process.exit(0)));
process.stdin.resume();
