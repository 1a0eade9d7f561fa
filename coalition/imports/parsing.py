"""Reading an import's files: the CSV of allies and the logos beside it (a folder or a ZIP).

Everything here assumes hostile input. The CSV is bounded in bytes and rows before it is parsed,
must be UTF-8 (with or without a byte order mark) and may use commas or semicolons; its cells are
only ever text (a cell starting with ``=`` is a name, never a formula: nothing here writes a
spreadsheet). A ZIP is judged from its directory before a byte is inflated: too many entries,
names that climb out of a folder, entries or a total too large to inflate, or a compression ratio
only a bomb has, and the archive is refused as a whole. A logo is then read bounded, whatever its
entry claims.
"""

from __future__ import annotations

import csv
import io
import posixpath
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from coalition.errors import ServiceError
from coalition.images import logos

MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# The logos' ZIP: its size as uploaded, what it may hold, and how much it may inflate to.
MAX_ZIP_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = MAX_ROWS * 2
MAX_ZIP_INFLATED = 1024 * 1024 * 1024
# An image compresses a little; a ZIP bomb compresses by thousands. Past this ratio (for an entry
# of some size: a tiny file may compress well) the archive is refused.
MAX_COMPRESSION_RATIO = 100
_RATIO_FROM_BYTES = 1024 * 1024

# The columns of issue 22, in the order a template file has them; ``registry_id`` may be added.
COLUMNS = (
    "name",
    "website",
    "country",
    "sector",
    "contact_email",
    "contact_name",
    "language",
    "statement",
    "logo",
)
OPTIONAL_COLUMNS = ("registry_id",)
REQUIRED_COLUMNS = ("name", "website", "country", "sector", "contact_email", "contact_name")


class ImportFileError(ServiceError):
    """A file that cannot be read as an import at all (as opposed to a row that is invalid)."""


@dataclass(frozen=True)
class Row:
    """One record of the CSV: the line it starts on (the header is line 1) and its cells."""

    line: int
    cells: dict[str, str]


def decode(data: bytes) -> str:
    """The CSV's text: UTF-8, with or without a byte order mark; anything else is refused."""
    if len(data) > MAX_CSV_BYTES:
        raise ImportFileError(
            _("The file is larger than %(limit)s MB. Split it into smaller files.")
            % {"limit": MAX_CSV_BYTES // (1024 * 1024)}
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            _(
                "The file is not UTF-8 text (a byte at position %(position)s cannot be read). "
                "Save it as “CSV UTF-8” and upload it again."
            )
            % {"position": error.start}
        ) from None
    if "\x00" in text:
        raise ImportFileError(_("The file holds NUL bytes: it is not a CSV file."))
    return text


class _Excel(csv.excel):
    delimiter = ","


def _dialect(text: str) -> type[csv.Dialect]:
    """Excel's rules with the header line's delimiter: a comma, or the semicolon that
    spreadsheets save in French or German (the sniffer judges the delimiter only: from one line
    it cannot judge quoting)."""
    header = text[:8192].split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(header, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    return type("ImportDialect", (_Excel,), {"delimiter": delimiter})


def _header_name(cell: str) -> str:
    return "_".join(cell.strip().lower().replace("-", " ").split())


def parse(text: str) -> list[Row]:
    """The rows of the CSV, by their header; blank records are skipped.

    Raises ``ImportFileError`` for a file with no header, unknown or missing columns, too many
    rows, or a record the csv module cannot read.
    """
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise ImportFileError(
                _("The file is empty: it needs a header row and one row per ally.")
            )
        names = [_header_name(cell) for cell in header]
        known = (*COLUMNS, *OPTIONAL_COLUMNS)
        unknown = [header[i] for i, name in enumerate(names) if name and name not in known]
        if unknown:
            raise ImportFileError(
                _("Unknown columns: %(unknown)s. The columns are: %(columns)s.")
                % {"unknown": ", ".join(unknown), "columns": ", ".join(COLUMNS)}
            )
        missing = [name for name in REQUIRED_COLUMNS if name not in names]
        if missing:
            raise ImportFileError(
                _("Missing columns: %(missing)s. The columns are: %(columns)s.")
                % {"missing": ", ".join(missing), "columns": ", ".join(COLUMNS)}
            )
        rows: list[Row] = []
        line = reader.line_num + 1
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(
                    ngettext(
                        "The file has more than %(limit)s row. Split it into smaller files.",
                        "The file has more than %(limit)s rows. Split it into smaller files.",
                        MAX_ROWS,
                    )
                    % {"limit": MAX_ROWS}
                )
            cells = dict.fromkeys((*COLUMNS, *OPTIONAL_COLUMNS), "")
            for name, value in zip(names, record, strict=False):
                if name:
                    cells[name] = value.strip()
            rows.append(Row(line=start, cells=cells))
    except csv.Error as error:
        raise ImportFileError(
            _("Line %(line)s cannot be read as CSV: %(error)s")
            % {"line": reader.line_num, "error": error}
        ) from None
    return rows


# Logos ---------------------------------------------------------------------------------------


class LogoSource(Protocol):
    def read(self, name: str) -> bytes | None:
        """The file named ``name`` (bounded by the logo pipeline's limit), or None if absent."""


def _bounded(file: IO[bytes]) -> bytes:
    # Past the pipeline's limit the row gets the pipeline's own "too large" refusal.
    return logos.read_bounded(file)


def _safe_name(name: str) -> bool:
    """A file name of the CSV's ``logo`` column: a plain name, or a path inside the folder."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return False
    return ".." not in name.split("/")


class NoLogos:
    """No folder or ZIP was given: every logo is missing."""

    def read(self, name: str) -> bytes | None:
        return None


class FolderLogos:
    """Logos in a folder on the server (the command's ``--logos DIR``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder).resolve()
        if not self.folder.is_dir():
            raise ImportFileError(_("%(folder)s is not a folder.") % {"folder": folder})

    def read(self, name: str) -> bytes | None:
        if not _safe_name(name):
            return None
        path = (self.folder / name).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            return None
        with path.open("rb") as file:
            return _bounded(file)


class ZipLogos:
    """Logos in a ZIP, looked up by their path in it or by their file name alone."""

    def __init__(self, file: IO[bytes]) -> None:
        try:
            self.archive = zipfile.ZipFile(file)
            entries = self.archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise ImportFileError(_("The logos file is not a ZIP archive.")) from None
        check_archive(entries)
        self.by_name: dict[str, zipfile.ZipInfo] = {}
        for entry in entries:
            if entry.is_dir():
                continue
            self.by_name.setdefault(entry.filename, entry)
            self.by_name.setdefault(posixpath.basename(entry.filename), entry)

    def read(self, name: str) -> bytes | None:
        entry = self.by_name.get(name) if _safe_name(name) else None
        if entry is None:
            return None
        try:
            with self.archive.open(entry) as file:
                return _bounded(file)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
            return b""  # the pipeline calls an empty file unreadable

    def close(self) -> None:
        self.archive.close()


def check_archive(entries: list[zipfile.ZipInfo]) -> None:
    """Refuse a ZIP from its directory alone: too many entries, a name that is absolute or climbs
    out (``../``), an entry or a total too large to inflate, or a bomb's compression ratio."""
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ImportFileError(
            _("The ZIP holds more than %(limit)s files.") % {"limit": MAX_ZIP_ENTRIES}
        )
    total = 0
    for entry in entries:
        name = entry.filename
        if (
            name.startswith(("/", "\\"))
            or ".." in name.replace("\\", "/").split("/")
            or (len(name) > 1 and name[1] == ":")
        ):
            raise ImportFileError(
                _("The ZIP holds a file with an unsafe name: %(name)s. Nothing was read from it.")
                % {"name": name[:200]}
            )
        total += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if total > MAX_ZIP_INFLATED or (
            entry.file_size > _RATIO_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO
        ):
            raise ImportFileError(
                _(
                    "The ZIP would inflate to far more than its size (%(name)s): it is refused "
                    "unread. Put only the logos in it."
                )
                % {"name": name[:200]}
            )


def open_zip(file: IO[bytes], *, size: int | None = None) -> ZipLogos:
    """The logos of an uploaded ZIP, refused when larger than ``MAX_ZIP_BYTES``."""
    if size is not None and size > MAX_ZIP_BYTES:
        raise ImportFileError(
            _("The ZIP is larger than %(limit)s MB.") % {"limit": MAX_ZIP_BYTES // (1024 * 1024)}
        )
    return ZipLogos(file)
