"""Office Open XML packages (.docx, .pptx): bounded to open, deterministic to save.

Shared by the docs and slides apps. An OOXML file is a zip of XML parts; a small zip can
declare parts that inflate to gigabytes, so every package is checked against its declared
sizes before python-docx or python-pptx opens it. Python's zipfile never inflates a part
past its declared size, so the declared sizes bound the work.
"""

from __future__ import annotations

import io
import zipfile

MAX_PARTS = 1_000
"""Most parts (zip entries) a package may hold."""
MAX_PART_BYTES = 8_000_000
"""Largest declared uncompressed size of one part."""
MAX_UNPACKED_BYTES = 24_000_000
"""Largest declared uncompressed size of all parts together."""

_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# Deflate (and stored) inflate in bounded steps; bzip2 and lzma entries could expand a
# whole chunk at once before zipfile trims it, and no Office program writes them.
_SAFE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def check_package(data: bytes, kind: str) -> None:
    """Check that ``data`` is a zip package small enough to open.

    Args:
        data: the file's bytes.
        kind: what the file should be, for the message (e.g. ``".docx document"``).

    Raises:
        ValueError: not a zip, encrypted entries, an unsupported compression method, or
            declared sizes past ``MAX_PARTS`` / ``MAX_PART_BYTES`` / ``MAX_UNPACKED_BYTES``.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ValueError(f"not a {kind} (it is not a zip package)") from None
    if len(infos) > MAX_PARTS:
        raise ValueError(f"the {kind} has {len(infos)} parts; at most {MAX_PARTS} are read")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise ValueError(f"the {kind} is encrypted")
        if info.compress_type not in _SAFE_METHODS:
            raise ValueError(f"the {kind} uses an unsupported zip compression method")
        if info.file_size > MAX_PART_BYTES:
            raise ValueError(f"part {info.filename!r} of the {kind} unpacks to "
                             f"{info.file_size} bytes; at most {MAX_PART_BYTES} are read")
        total += info.file_size
    if total > MAX_UNPACKED_BYTES:
        raise ValueError(f"the {kind} unpacks to {total} bytes; at most "
                         f"{MAX_UNPACKED_BYTES} are read")


def package_bytes(data: bytes) -> bytes:
    """Re-zip a package that python-docx or python-pptx just saved, deterministically.

    Both libraries stamp every zip entry with the current time, so equal content would
    give different bytes (and a different world digest) from one second to the next. The
    parts keep their order ([Content_Types].xml first) and get a constant timestamp.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info))
    return out.getvalue()
