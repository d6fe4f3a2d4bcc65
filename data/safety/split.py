"""Splits labelled.jsonl ONCE into train.jsonl (80%) and heldout.jsonl (20%).

Deterministic: rows are grouped by (kind, lang); each group is sorted by text,
shuffled with random.Random(f"{SEED}:{kind}:{lang}"), and its first
round(20% of n) rows are held out (at least one row for groups of two or more).
Nothing else (no model, no score) is used to decide where a row goes.

The split was frozen before any tuning. If train.jsonl and heldout.jsonl
already exist, this script does not overwrite them: it recomputes the split
and exits non-zero if the files on disk differ from it (python3 split.py
--check does only that). Tune on train.jsonl only; heldout.jsonl is for the
final figures.
"""
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

SEED = 20240611
HELDOUT_SHARE = 0.2
HERE = Path(__file__).resolve().parent


def split(rows):
    groups = defaultdict(list)
    for row in rows:
        groups[(row["kind"], row["lang"])].append(row)
    train, heldout = [], []
    for (kind, lang) in sorted(groups):
        group = sorted(groups[(kind, lang)], key=lambda r: r["text"])
        random.Random(f"{SEED}:{kind}:{lang}").shuffle(group)
        k = round(len(group) * HELDOUT_SHARE)
        if len(group) >= 2:
            k = max(k, 1)
        heldout.extend(group[:k])
        train.extend(group[k:])
    order = lambda r: (r["lang"], r["kind"], r["text"])
    return sorted(train, key=order), sorted(heldout, key=order)


def dump(rows):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main():
    rows = [json.loads(l) for l in
            (HERE / "labelled.jsonl").read_text(encoding="utf-8").splitlines()]
    train, heldout = split(rows)
    files = {HERE / "train.jsonl": dump(train), HERE / "heldout.jsonl": dump(heldout)}
    if "--check" in sys.argv or any(p.exists() for p in files):
        bad = [p.name for p, text in files.items()
               if not p.exists() or p.read_text(encoding="utf-8") != text]
        if bad:
            sys.exit(f"split differs from {', '.join(bad)}: the split is frozen; "
                     "do not regenerate it")
        print(f"split unchanged: {len(train)} train, {len(heldout)} heldout")
        return
    for p, text in files.items():
        p.write_text(text, encoding="utf-8")
    print(f"wrote {len(train)} train, {len(heldout)} heldout")


if __name__ == "__main__":
    main()
