#!/usr/bin/env python3
"""Writes a deterministic synthetic repository for scan benchmarks.

usage: make_tree.py DIR MEGABYTES FILES

Source, Markdown, JSON and text files of realistic line lengths; about one
file in twenty has non-ASCII text (accents, Greek, Cyrillic, emoji), so the
slower Unicode paths are exercised too. Nothing in it is an attack: every
finding on this tree is a false positive.
"""
import os
import random
import sys

WORDS = (
    "the of and to in is for that with on as by this be are from or it an at "
    "value result error config build test parse read write file path name data "
    "request response client server token cache index buffer stream thread queue "
    "option string number list map set return struct impl fn let mut pub use mod"
).split()
NON_ASCII = ["café", "naïve", "Größe", "αβγ", "данные", "日本語", "🚀", "👩‍💻", "déjà vu"]
KINDS = [
    (".rs", "// ", "fn {w}() -> u32 {{ {n} }}"),
    (".py", "# ", "def {w}(x):\n    return x + {n}"),
    (".md", "", "## {w}\n\nSee [{w}](https://example.com/{w}) for {n} details."),
    (".json", "", '{{"{w}": {n}, "enabled": true}}'),
    (".txt", "", "{w} {n}"),
    (".ts", "// ", "export const {w} = {n};"),
]


def line(rng, unicode):
    words = [rng.choice(WORDS) for _ in range(rng.randint(4, 14))]
    if unicode and rng.random() < 0.2:
        words.insert(rng.randrange(len(words)), rng.choice(NON_ASCII))
    return " ".join(words)


def main():
    root, megabytes, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(20261126)
    per_file = megabytes * 1024 * 1024 // files
    for index in range(files):
        ext, comment, template = KINDS[index % len(KINDS)]
        unicode = index % 20 == 0
        directory = os.path.join(root, f"pkg{index // 500:03d}", f"mod{(index // 50) % 10}")
        os.makedirs(directory, exist_ok=True)
        parts, size = [], 0
        while size < per_file:
            if rng.random() < 0.3:
                text = template.format(w=rng.choice(WORDS), n=rng.randint(0, 99999))
            else:
                text = comment + line(rng, unicode)
            parts.append(text)
            size += len(text) + 1
        with open(os.path.join(directory, f"file{index:05d}{ext}"), "w", encoding="utf-8") as f:
            f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
