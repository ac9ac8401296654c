"""Multipart uploads to the API keep every file part, whatever its name.

Django's MultiPartParser skips, without a word, a file part whose name is "." or ".." or has no printable
character left: the client is told its upload worked and the file is gone. Our storage never uses the sent
name as a path (tickets/filenames.py generates one), so such a part is kept, named "attachment" (Django's
UploadedFile refuses "." and ".." as names). A part with an empty name (an empty file input) is still
skipped, as browsers mean it.
"""

from __future__ import annotations

from typing import Any

from django.http.multipartparser import MultiPartParser
from django.utils.datastructures import ImmutableList

from supportloop.tickets.filenames import FALLBACK_NAME


class KeepEveryFileParser(MultiPartParser):
    def sanitize_file_name(self, file_name) -> str:
        return super().sanitize_file_name(file_name) or FALLBACK_NAME


class KeepEveryFileMiddleware:
    """Parses /api/ multipart bodies with KeepEveryFileParser (Django's HttpRequest.parse_file_upload, with
    our parser class: the request offers no other hook, and it must be set before anything reads POST)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request) -> Any:
        if request.path.startswith("/api/") and request.content_type == "multipart/form-data":

            def parse_file_upload(meta, post_data):
                request.upload_handlers = ImmutableList(
                    request.upload_handlers, warning="Upload handlers are fixed once parsing began."
                )
                return KeepEveryFileParser(meta, post_data, request.upload_handlers, request.encoding).parse()

            request.parse_file_upload = parse_file_upload
        return self.get_response(request)
