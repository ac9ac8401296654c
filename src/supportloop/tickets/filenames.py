"""Attachment file names: what a mail or a browser sent is shown; what goes to storage is generated.

Any text is a valid attachment name here (`😍`, `!!!`, `%`, `.`, 300 Chinese characters): the name a person
sees is kept (only characters that cannot be stored or that disguise the name are removed), and the file is
stored under a random ASCII name, so the storage backend's own name checks (which refuse names without
letters or digits) and file-system limits (255 bytes) never see the original. Downloads carry the name in
RFC 6266 form: an ASCII `filename` for old clients and `filename*` (RFC 8187, UTF-8) with the exact name.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
import uuid
from urllib.parse import quote

NAME_MAX = 255  # Attachment.filename's max_length
FALLBACK_NAME = "attachment"
# Control characters (a NUL cannot be stored; CR/LF would break headers) and the invisible direction marks
# that make "invoice\u202egpj.exe" display as "invoiceexe.jpg".
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_SAFE_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}$")
_NOT_QUOTABLE = re.compile(r"[^A-Za-z0-9 !#$&\'()+,.;=@\[\]^_`{}~-]")


def clean_name(name: str | None) -> str:
    """A sent name minus what cannot be stored or would disguise it (control characters, direction
    overrides, lone surrogates), path separators made harmless; "" when nothing is left."""
    name = (name or "").encode("utf-8", "surrogatepass").decode("utf-8", "replace")  # lone surrogates
    return _INVISIBLE.sub("", name).replace("/", "_").replace("\\", "_").strip()


def display_name(name: str | None) -> str:
    """The name to keep and show: clean_name, never empty, at most NAME_MAX characters (the extension
    survives shortening)."""
    name = clean_name(name)
    if not name:
        return FALLBACK_NAME
    if len(name) > NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        keep = f".{extension}" if dot and stem and len(extension) <= 20 else ""
        name = name[: NAME_MAX - len(keep)] + keep
    return name


def storage_name(name: str, content_type: str = "") -> str:
    """A random ASCII file name for storage, with the original's extension when it is a plain one
    (servers and antivirus tools go by it), else one guessed from the content type."""
    match = _SAFE_EXTENSION.search(name or "")
    extension = match.group(0).lower() if match else (mimetypes.guess_extension(content_type or "") or "")
    return uuid.uuid4().hex + extension


def ascii_fallback(name: str) -> str:
    """An ASCII approximation for clients that ignore `filename*` ("Grüße.pdf" -> "Grusse.pdf")."""
    folded = unicodedata.normalize("NFKD", name.replace("ß", "ss")).encode("ascii", "ignore").decode("ascii")
    folded = _NOT_QUOTABLE.sub("_", folded).strip(" .")
    if not folded.strip("_"):
        match = _SAFE_EXTENSION.search(name)
        folded = FALLBACK_NAME + (match.group(0) if match else "")
    return folded[:NAME_MAX]


def content_disposition(name: str, *, inline: bool = False) -> str:
    """A Content-Disposition header value that gives any name back exactly (RFC 6266, RFC 8187)."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
