"""A multipart/form-data body read as it arrives: one named part kept, each file into the blob store.

Starlette's `request.form()` spools every file part to a temporary file first, from which the
route then copied it into the blob store: a phone's submission with one photo made five
objects per part and read its photo twice. Here python-multipart (the parser Starlette uses)
calls back with each piece of a part as the body streams in, and a file part's pieces go
straight to a `BlobSpool` (kept in memory up to a limit, then a temporary file beside the
blob store), hashed on the way. What is accepted matches `request.form()`: its header
parsing and name decoding, at most 1,000 files and 1,000 fields.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from server.storage import BlobSpool, StoredBlob

MAX_FILES = 1000
MAX_FIELDS = 1000


class MalformedMultipart(ValueError):
    """The body is not multipart/form-data that can be read (the message says why)."""


@dataclass(frozen=True)
class StoredPart:
    """A file part, stored: its file name (the field name when it has none) and content type."""

    name: str
    stored: StoredBlob
    content_type: str | None


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    kept: bytearray | None = None  # the part asked for by name
    spool: BlobSpool | None = None  # a file part


class _Reader:
    """python-multipart's callbacks, for one body."""

    def __init__(self, data_dir: Path, keep: str, charset: str) -> None:
        self.data_dir, self.keep, self.charset = data_dir, keep, charset
        self.part = _Part()
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.kept: bytes | None = None
        self.files: list[StoredPart] = []
        self.open: list[BlobSpool] = []
        self.counts = {"files": 0, "fields": 0}

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.part_begin, "on_part_data": self.part_data,
            "on_part_end": self.part_end, "on_header_field": self.header_field,
            "on_header_value": self.header_value_piece, "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
        }

    def part_begin(self) -> None:
        self.part = _Part()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def header_value_piece(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def header_end(self) -> None:
        self.part.headers[bytes(self.header_name).lower()] = bytes(self.header_value)
        self.header_name.clear()
        self.header_value.clear()

    def headers_finished(self) -> None:
        part = self.part
        _, options = parse_options_header(part.headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise MalformedMultipart('The Content-Disposition header field "name" must be provided.')
        part.name = _decode(options[b"name"], self.charset)
        if b"filename" in options:
            self._count("files", MAX_FILES)
            part.filename = _decode(options[b"filename"], self.charset)
        else:
            self._count("fields", MAX_FIELDS)
        if part.name == self.keep:
            part.kept = bytearray()
        elif part.filename is not None:
            part.spool = BlobSpool(self.data_dir)
            self.open.append(part.spool)

    def part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        if part.kept is not None:
            part.kept += data[start:end]
        elif part.spool is not None:
            part.spool.write(data[start:end])

    def part_end(self) -> None:
        part = self.part
        if part.kept is not None:
            self.kept = bytes(part.kept)
        elif part.spool is not None:
            stored = part.spool.finish()
            self.open.remove(part.spool)
            content_type = part.headers.get(b"content-type")
            self.files.append(StoredPart(
                part.filename or part.name, stored,
                None if content_type is None else content_type.decode("latin-1"),
            ))

    def abandon(self) -> None:
        for spool in self.open:
            spool.abandon()

    def _count(self, kind: str, limit: int) -> None:
        self.counts[kind] += 1
        if self.counts[kind] > limit:
            raise MalformedMultipart(f"Too many {kind}. Maximum number of {kind} is {limit}.")


async def read_multipart_files(
    request: Request, data_dir: Path, keep: str
) -> tuple[bytes | None, list[StoredPart]]:
    """The bytes of the part named `keep` (None when absent) and every other file part, stored
    in the blob store, in the order they came. MalformedMultipart for a body that cannot be
    read; whatever else stops the reading (the client gone, the body too large) is raised as
    it is. Nothing of an unfinished file is left behind."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data":
        raise MalformedMultipart("Expected a multipart/form-data body.")
    boundary = params.get(b"boundary")
    if not boundary:
        raise MalformedMultipart("Missing boundary in multipart.")
    reader = _Reader(data_dir, keep, _charset(params.get(b"charset")))
    try:
        parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except BaseException as exc:
        reader.abandon()
        if isinstance(exc, FormParserError):
            raise MalformedMultipart("Invalid multipart data.") from exc
        raise
    reader.abandon()  # a file part the body ended in the middle of is not one that arrived
    return reader.kept, reader.files


def _charset(declared: bytes | None) -> str:
    try:
        return codecs.lookup((declared or b"utf-8").decode("latin-1")).name
    except LookupError:
        return "latin-1"


def _decode(raw: bytes, charset: str) -> str:
    try:
        return raw.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return raw.decode("latin-1")
