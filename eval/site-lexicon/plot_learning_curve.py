#!/usr/bin/python3
"""Draws docs/review-learning-curve.png from learning-curve.tsv (reviewed notes, then D, P, X F1 on CodiEsp dev).

The figures come from `symphony eval codiesp --server <url> --split dev --language es --adapt-from train
--review-steps 0,25,50,100,250,500` (docs/review.md). Needs matplotlib (Debian: python3-matplotlib).
"""
import csv
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

here = pathlib.Path(__file__).resolve().parent
source = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here / "learning-curve.tsv"
target = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else here.parent.parent / "docs" / "review-learning-curve.png"

rows = list(csv.DictReader(source.open(encoding="utf-8"), delimiter="\t"))
reviewed = [int(r["reviewed"]) for r in rows]
fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
for track, label in (("D", "D (diagnoses)"), ("P", "P (procedures)"), ("X", "X (evidence spans)")):
    ax.plot(reviewed, [float(r[track]) for r in rows], marker="o", label=label)
ax.set_xlabel("train notes reviewed through $review")
ax.set_ylabel("F1 on CodiEsp dev (250 notes)")
ax.set_title("What a site can expect: the server's site lexicon after its first reviews")
ax.set_xticks(reviewed)
ax.grid(alpha=0.3)
ax.legend(loc="upper left")
fig.tight_layout()
fig.savefig(target)
print(f"wrote {target}")
