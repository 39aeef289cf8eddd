"""Reading a `--glossary` file: UTF-8 text, `term<TAB>translation` (or `term = translation`)
per line, `#` starts a comment. Anything else is one line naming the file and what is wrong."""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from dubbing.limits import MAX_GLOSSARY_BYTES, MAX_GLOSSARY_TERMS
from starter.app import EXIT_USAGE, Exit

# Read at most this much: room for comments and layout around the terms' own limit.
MAX_FILE_BYTES = 4 * MAX_GLOSSARY_BYTES
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
SAVE_AS_UTF8 = "save it as UTF-8 text, one 'term<TAB>translation' per line"


def read_glossary(path: Path | None) -> dict[str, str]:
    """The terms of the glossary file; {} without one."""
    if path is None:
        return {}
    if not path.is_file():
        raise Exit(EXIT_USAGE, f"{path}: no such glossary file")
    terms: dict[str, str] = {}
    for number, raw in enumerate(_text(path).splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = re.split(r"\t| = ", line, maxsplit=1)
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise Exit(EXIT_USAGE, f"{path}:{number}: expected 'term<TAB>translation'")
        _check_characters(path, number, line)
        terms[parts[0].strip()] = parts[1].strip()
    if len(terms) > MAX_GLOSSARY_TERMS:
        raise Exit(EXIT_USAGE, f"{path}: {len(terms)} terms; a glossary holds at most "
                   f"{MAX_GLOSSARY_TERMS}")
    return terms


def _text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise Exit(EXIT_USAGE, f"{path}: {size // 1024} KiB is too big for a glossary "
                       f"file (at most {MAX_GLOSSARY_BYTES // 1024} KiB of terms)")
        data = path.read_bytes()
    except OSError as exc:
        raise Exit(EXIT_USAGE, f"{path}: cannot read the glossary ({exc.strerror})") from exc
    if data.startswith(_UTF16_BOMS) or _looks_utf16(data):
        raise Exit(EXIT_USAGE, f"{path}: the glossary is UTF-16 (or UTF-32) text; "
                   f"{SAVE_AS_UTF8}")
    if b"\x00" in data:
        raise Exit(EXIT_USAGE, f"{path}: a binary file, not a text glossary; {SAVE_AS_UTF8}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise Exit(EXIT_USAGE, f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                   f"{SAVE_AS_UTF8}") from exc


def _looks_utf16(data: bytes) -> bool:
    """Mostly ASCII text in UTF-16 without a byte order mark: every other byte is zero."""
    sample = data[:4096]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return max(even.count(0) / len(even), odd.count(0) / len(odd)) > 0.4


def _check_characters(path: Path, number: int, line: str) -> None:
    for char in line:
        if char != "\t" and unicodedata.category(char) == "Cc":
            raise Exit(EXIT_USAGE, f"{path}:{number}: control character U+{ord(char):04X} in "
                       "the glossary; remove it")
