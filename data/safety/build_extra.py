"""Builds train_extra.jsonl, training-only rows added after the split was
frozen (python3 build_extra.py, run from any directory; standard library
only). It reads:

- sources/xed-extra/*.txt: more lines selected by hand from Helsinki-NLP/XED
  (CC-BY-4.0), each "subtitle line<TAB>XED emotion labels", under "## kind"
  headers; sadness-labelled lines (6) are negative_sadness, the rest
  negative_everyday; every row is crisis: false (see SOURCES.md).
- sources/hearth-team-extra/LANG.txt: es, fr, de and pt messages written by
  the team, crisis and look-alike, under "## kind" headers.

The file formats and the text clean-up are build.py's. A row is dropped
when its text (case- and whitespace-insensitively) is a duplicate, or when,
as the leakage test compares (lowercase words, punctuation ignored), it
equals a text of labelled.jsonl or ../routing/labelled.jsonl or holds a
distinctive one (five words or more) inside it. So train.jsonl and
heldout.jsonl never share a text with this file; the comparison is
automatic, no held-out text is read by anyone. The output is sorted by
(lang, kind, text) so that rebuilding gives the same file byte for byte.
heldout.jsonl and split.py are untouched: these rows only train.
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

from build import CRISIS, detokenize_en, groups, norm

HERE = Path(__file__).resolve().parent
OUT = HERE / "train_extra.jsonl"

XED = {
    "en-annotated.txt": ("en", "Helsinki-NLP/XED:AnnotatedData/en-annotated.tsv"),
    "es-projections.txt": ("es", "Helsinki-NLP/XED:Projections/es-projections.tsv"),
    "fr-projections.txt": ("fr", "Helsinki-NLP/XED:Projections/fr-projections.tsv"),
    "de-projections.txt": ("de", "Helsinki-NLP/XED:Projections/de-projections.tsv"),
    "pt-projections.txt": ("pt", "Helsinki-NLP/XED:Projections/pt-projections.tsv"),
}
TEAM_LANGS = ["de", "es", "fr", "pt"]


def xed_rows():
    for name, (lang, source) in XED.items():
        path = HERE / "sources" / "xed-extra" / name
        for n, kind, line in groups(path):
            text, _, labels = line.partition("\t")
            labels = set(re.findall(r"\d", labels))
            if not labels:
                sys.exit(f"{path}:{n}: no XED labels")
            if kind == "negative_sadness" and "6" not in labels:
                sys.exit(f"{path}:{n}: negative_sadness needs XED sadness (6)")
            if kind not in {"negative_sadness", "negative_everyday"}:
                sys.exit(f"{path}:{n}: XED lines map only to sadness/everyday")
            text = text.strip()
            if text.startswith("- "):
                text = text[2:]
            if lang == "en":
                text = detokenize_en(text)
            yield {"text": text, "crisis": False, "kind": kind,
                   "lang": lang, "source": source}


def team_rows():
    for lang in TEAM_LANGS:
        path = HERE / "sources" / "hearth-team-extra" / f"{lang}.txt"
        for _, kind, text in groups(path):
            yield {"text": text, "crisis": kind in CRISIS, "kind": kind,
                   "lang": lang, "source": "hearth-team-extra"}


def words(text):
    """Lowercase words of letters and digits, one space apart (the
    leakage test's normalisation: punctuation does not hide a copy)."""
    kept = "".join(c if c.isalnum() else " " for c in text.lower())
    return " ".join(kept.split())


def texts(path):
    if not path.exists():
        return set()
    return {words(json.loads(line)["text"])
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()}


def distinctive(text):
    """Long enough that one inside another is a copy (as the leakage test)."""
    return len(text.split(" ")) >= 5 and len(text) >= 24


def clash(text, known, long_known):
    """Whether a row equals a known text or holds a distinctive one."""
    w = words(text)
    return w in known or any(k in w for k in long_known)


def main():
    labelled = texts(HERE / "labelled.jsonl")
    routing = texts(HERE.parent / "routing" / "labelled.jsonl")
    long_labelled = [t for t in labelled if distinctive(t)]
    long_routing = [t for t in routing if distinctive(t)]
    seen, out, dropped = set(), [], Counter()
    for row in list(team_rows()) + list(xed_rows()):
        key = norm(row["text"])
        if clash(row["text"], labelled, long_labelled):
            dropped["in labelled.jsonl"] += 1
        elif clash(row["text"], routing, long_routing):
            dropped["in routing set"] += 1
        elif key in seen:
            dropped["duplicate"] += 1
        else:
            seen.add(key)
            out.append(row)
    out.sort(key=lambda r: (r["lang"], r["kind"], r["text"]))
    with open(OUT, "w", encoding="utf-8") as f:
        for row in out:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    crisis = sum(r["crisis"] for r in out)
    by = Counter((r["source"].split(":")[0], r["lang"],
                  "crisis" if r["crisis"] else r["kind"]) for r in out)
    print(f"{len(out)} rows, {crisis} crisis; dropped {dict(dropped)}",
          file=sys.stderr)
    for key, n in sorted(by.items()):
        print(f"  {key}: {n}", file=sys.stderr)


if __name__ == "__main__":
    main()
