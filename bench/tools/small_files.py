#!/usr/bin/env python3
"""Writes the open storm's tree: 20,000 small files in 200 directories.

usage: small_files.py DIR   (the files go to DIR/tree/dD/fF.txt)
"""
import os
import sys

root = sys.argv[1]
for d in range(200):
    os.makedirs(f"{root}/tree/d{d}", exist_ok=True)
    for f in range(100):
        with open(f"{root}/tree/d{d}/f{f}.txt", "w") as out:
            out.write(f"file {d}/{f}\n")
