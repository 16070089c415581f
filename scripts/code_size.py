#!/usr/bin/env python3
"""Files over 500 lines and functions over 120 lines in the workspace's Rust sources, and the
number of `too_many_arguments` allows. Standard library only; a brace counter, not a parser
(good enough for rustfmt-formatted code).

Usage: scripts/code_size.py [ROOT]
"""
import re
import sys
from pathlib import Path

FILE_LIMIT = 500
FN_LIMIT = 120


def functions(lines):
    """(name, first line, length) of every fn whose body starts on its signature's lines."""
    i = 0
    while i < len(lines):
        m = re.match(r"\s*(pub(\([^)]*\))?\s+)?(const\s+)?(unsafe\s+)?fn\s+(\w+)", lines[i])
        if not m:
            i += 1
            continue
        depth, started, j = 0, False, i
        while j < len(lines):
            code = re.sub(r'"([^"\\]|\\.)*"|//.*', "", lines[j])
            if not started and code.rstrip().endswith(";") and "{" not in code:
                break
            depth += code.count("{") - code.count("}")
            started = started or "{" in code
            if started and depth <= 0:
                yield m.group(5), i + 1, j - i + 1
                break
            j += 1
        i += 1


def main(root):
    long_files, long_fns, allows = [], [], 0
    for path in sorted(Path(root).glob("crates/**/*.rs")):
        lines = path.read_text().splitlines()
        allows += sum("too_many_arguments" in l for l in lines)
        if len(lines) > FILE_LIMIT:
            reason = " (reason written)" if "on purpose" in " ".join(lines[:12]) else ""
            long_files.append((len(lines), f"{path}{reason}"))
        for name, line, length in functions(lines):
            if length > FN_LIMIT:
                # A written reason: a comment saying "on purpose" in the lines just above.
                above = " ".join(lines[max(0, line - 4) : line - 1])
                reason = " (reason written)" if "on purpose" in above else ""
                long_fns.append((length, f"{path}:{line}", name + reason))
    print(f"files over {FILE_LIMIT} lines: {len(long_files)}")
    for n, path in sorted(long_files, reverse=True):
        print(f"  {n:5}  {path}")
    unexplained = sum("reason written" not in name for _, _, name in long_fns)
    print(f"functions over {FN_LIMIT} lines: {len(long_fns)} ({unexplained} without a written reason)")
    for n, where, name in sorted(long_fns, reverse=True):
        print(f"  {n:5}  {where}  {name}")
    print(f"too_many_arguments allows: {allows}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
