"""Builds labelled.jsonl for Hearth's crisis classifier from the files under
sources/ (python3 build.py, run from any directory; standard library only).

- sources/hearth-team/LANG.txt: messages written by the team. "## kind" starts
  a group; every other non-empty line that does not start with "# " is one
  message.
- sources/xed/*.txt: lines selected by hand from Helsinki-NLP/XED (CC-BY-4.0),
  each "subtitle line<TAB>XED emotion labels", under the same "## kind"
  headers. Sadness-labelled lines (6) map to negative_sadness, the rest to
  negative_everyday (see SOURCES.md).

Rows are deduplicated case- and whitespace-insensitively (first occurrence
kept: hearth-team before XED, in file order), and any text that is also in
../routing/labelled.jsonl is dropped so that the routing set's held-out
messages never become crisis training data. The output is sorted by
(lang, kind, text) so that rebuilding gives the same file byte for byte.
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
CRISIS = {"ideation", "plan", "intent", "self_harm", "abuse_now", "harm_others"}
NEGATIVE = {"negative_idiom", "negative_third_person", "negative_negation",
            "negative_sadness", "negative_topic", "negative_everyday"}
LANGS = {"en", "es", "fr", "de", "pt"}

XED = {
    "en-annotated.txt": ("en", "Helsinki-NLP/XED:AnnotatedData/en-annotated.tsv"),
    "es-projections.txt": ("es", "Helsinki-NLP/XED:Projections/es-projections.tsv"),
    "fr-projections.txt": ("fr", "Helsinki-NLP/XED:Projections/fr-projections.tsv"),
    "de-projections.txt": ("de", "Helsinki-NLP/XED:Projections/de-projections.tsv"),
    "pt-projections.txt": ("pt", "Helsinki-NLP/XED:Projections/pt-projections.tsv"),
}


def norm(text):
    return " ".join(text.casefold().split())


def detokenize_en(text):
    """XED's English file is tokenized ("It's my fault ."); undo that."""
    text = re.sub(r" ([.,!?;:])", r"\1", text)
    text = re.sub(r" - ", "-", text)
    return text.replace("wan na", "wanna").replace("gon na", "gonna")


def groups(path):
    kind = None
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("# "):
            continue
        if line.startswith("## "):
            kind = line[3:].strip()
            if kind not in CRISIS | NEGATIVE:
                sys.exit(f"{path}:{n}: unknown kind {kind!r}")
            continue
        if kind is None:
            sys.exit(f"{path}:{n}: message before any '## kind' line")
        yield n, kind, line


def rows():
    for lang in sorted(LANGS):
        path = HERE / "sources" / "hearth-team" / f"{lang}.txt"
        for _, kind, text in groups(path):
            yield {"text": text, "crisis": kind in CRISIS, "kind": kind,
                   "lang": lang, "source": "hearth-team"}
    for name, (lang, source) in XED.items():
        path = HERE / "sources" / "xed" / name
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


def main():
    routing = set()
    routing_path = HERE.parent / "routing" / "labelled.jsonl"
    if routing_path.exists():
        for line in routing_path.read_text(encoding="utf-8").splitlines():
            routing.add(norm(json.loads(line)["text"]))
    seen, out, dropped = set(), [], Counter()
    for row in rows():
        key = norm(row["text"])
        if key in routing:
            dropped["in routing set"] += 1
            continue
        if key in seen:
            dropped["duplicate"] += 1
            continue
        seen.add(key)
        out.append(row)
    out.sort(key=lambda r: (r["lang"], r["kind"], r["text"]))
    with open(HERE / "labelled.jsonl", "w", encoding="utf-8") as f:
        for row in out:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    crisis = sum(r["crisis"] for r in out)
    print(f"{len(out)} rows, {crisis} crisis ({crisis / len(out):.1%}); "
          f"dropped {dict(dropped)}", file=sys.stderr)


if __name__ == "__main__":
    main()
