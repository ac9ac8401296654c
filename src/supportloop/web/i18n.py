"""Compile the shipped catalogues (src/supportloop/locale) when a .po is newer than its .mo.

`make test` runs compilemessages; this keeps a plain `pytest` or a fresh checkout working too (the .mo files
are build output and not committed). Writes atomically so parallel test workers never read half a file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings


def catalogues_compile() -> list[Path]:
    compiled: list[Path] = []
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        return compiled
    for base in settings.LOCALE_PATHS:
        for po in Path(base).glob("*/LC_MESSAGES/*.po"):
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            fd, tmp = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
            os.close(fd)
            subprocess.run([msgfmt, "--check-format", "-o", tmp, str(po)], check=True)  # noqa: S603 - msgfmt on our own catalogues
            os.replace(tmp, mo)
            compiled.append(mo)
    return compiled
