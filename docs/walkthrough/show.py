"""Prints a FHIR search Bundle (read from stdin) one line per finding: what the walk-through shows.

Task: its status. Condition: the code. Claim: its diagnosis and procedure lines. Provenance (searched with
_include=Provenance:target): each evidence span of the code it supports, as the note's own words with the
offset and length of the span in the note text. Exits 1 when the search found nothing or failed.
"""
import json
import sys
from collections import Counter

bundle = json.load(sys.stdin)
if bundle.get("resourceType") != "Bundle":
    sys.exit(json.dumps(bundle))  # an OperationOutcome: it says why
entries = bundle.get("entry", [])
found = {f'{e["resource"]["resourceType"]}/{e["resource"]["id"]}': e["resource"] for e in entries}
matches = [e["resource"] for e in entries if e.get("search", {}).get("mode", "match") == "match"]
if not matches:
    sys.exit("nothing found")


def coding(concept):
    first = concept["coding"][0]
    return first["code"], first.get("display", "")


for r in matches:
    kind = r["resourceType"]
    if kind == "Task":
        written = Counter(o["valueReference"]["reference"].split("/")[0] for o in r.get("output", []) if "valueReference" in o)
        print(f'Task {r["status"]}', *(f"{n} {kind}" for kind, n in written.items()), sep=", ")
        if r["status"] == "failed":
            sys.exit(json.dumps(r))
    elif kind == "Condition":
        print("Condition  %-8s %s" % coding(r["code"]))
    elif kind == "Claim":
        for line in r.get("diagnosis", []):
            print("Claim      diagnosis %d: %-8s %s" % (line["sequence"], *coding(line["diagnosisCodeableConcept"])))
        for line in r.get("procedure", []):
            print("Claim      procedure %d: %-8s %s" % (line["sequence"], *coding(line["procedureCodeableConcept"])))
    elif kind == "Provenance":
        target = found.get(r["target"][0]["reference"], {})
        code = coding(target["code"])[0] if "code" in target else r["target"][0]["reference"]
        for entity in r.get("entity", []):
            span = {x["url"]: x.get("valueInteger") for e in entity.get("extension", []) for x in e.get("extension", [])}
            print(f'Evidence   {code:8} "{entity["what"]["display"]}" at offset {span.get("offset")}, length {span.get("length")}')
    else:
        print(kind, r["id"])
