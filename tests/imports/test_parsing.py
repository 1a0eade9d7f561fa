"""Reading an import's files: the CSV's encodings and delimiters, its limits, and hostile ZIPs."""

from __future__ import annotations

import io
import zipfile

import pytest

from coalition.imports import parsing
from coalition.imports.parsing import ImportFileError
from tests.imports.conftest import ally, csv_bytes, logos_zip


def rows_of(data: bytes) -> list[parsing.Row]:
    return parsing.parse(parsing.decode(data))


def test_it_reads_utf8_with_and_without_a_byte_order_mark():
    plain = rows_of(csv_bytes([ally(1, name="Zürich Kinderhilfe")]))
    with_bom = rows_of(csv_bytes([ally(1, name="Zürich Kinderhilfe")], bom=True))
    assert plain == with_bom
    assert plain[0].cells["name"] == "Zürich Kinderhilfe"
    assert plain[0].line == 2


def test_it_reads_semicolons_as_a_spreadsheet_in_french_or_german_saves_them():
    rows = rows_of(csv_bytes([ally(1), ally(2)], delimiter=";"))
    assert [row.cells["website"] for row in rows] == [
        "https://imported1.org",
        "https://imported2.org",
    ]


def test_it_refuses_another_encoding_with_a_clear_message():
    data = csv_bytes([ally(1, name="Zürich")]).decode().encode("latin-1")
    with pytest.raises(ImportFileError, match="not UTF-8"):
        parsing.decode(data)


def test_it_refuses_a_file_over_the_limit_before_parsing_it():
    with pytest.raises(ImportFileError, match="larger than 5 MB"):
        parsing.decode(b"a" * (parsing.MAX_CSV_BYTES + 1))


def test_it_refuses_more_rows_than_the_limit(settings, monkeypatch):
    monkeypatch.setattr(parsing, "MAX_ROWS", 3)
    with pytest.raises(ImportFileError, match="more than 3 rows"):
        rows_of(csv_bytes([ally(n) for n in range(4)]))


def test_it_names_missing_and_unknown_columns():
    with pytest.raises(ImportFileError, match="Missing columns: contact_email"):
        parsing.parse("name,website,country,sector,contact_name\nA,a.org,DE,x,Y\n")
    with pytest.raises(ImportFileError, match="Unknown columns: colour"):
        parsing.parse("name,website,colour\nA,a.org,red\n")


def test_an_empty_file_is_refused():
    with pytest.raises(ImportFileError, match="empty"):
        parsing.parse("")


def test_formula_looking_cells_are_only_text():
    rows = rows_of(csv_bytes([ally(1, name='=HYPERLINK("http://evil.example","x")')]))
    assert rows[0].cells["name"] == '=HYPERLINK("http://evil.example","x")'


def test_blank_records_are_skipped_and_line_numbers_follow_the_file():
    text = (
        csv_bytes([ally(1)]).decode()
        + "\n,,,,,,,,\n"
        + csv_bytes([ally(2)]).decode().split("\n", 1)[1]
    )
    rows = parsing.parse(text)
    assert [row.line for row in rows] == [2, 5]  # an empty line, a line of commas


def test_a_zip_with_a_path_climbing_out_is_refused():
    data = logos_zip({"../../etc/passwd": b"x", "logo1.png": b"y"})
    with pytest.raises(ImportFileError, match="unsafe name"):
        parsing.open_zip(io.BytesIO(data))


def test_a_zip_bomb_is_refused_from_its_directory_unread():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("logo1.png", b"\0" * (20 * 1024 * 1024))
    assert len(buffer.getvalue()) < 100_000
    with pytest.raises(ImportFileError, match="inflate"):
        parsing.open_zip(io.BytesIO(buffer.getvalue()))


def test_a_file_that_is_no_zip_is_refused():
    with pytest.raises(ImportFileError, match="not a ZIP"):
        parsing.open_zip(io.BytesIO(b"not a zip at all"))


def test_logos_are_found_by_name_inside_a_folder_of_the_zip():
    source = parsing.open_zip(io.BytesIO(logos_zip({"logos/logo1.png": b"png"})))
    assert source.read("logo1.png") == b"png"
    assert source.read("logos/logo1.png") == b"png"
    assert source.read("../logo1.png") is None
    assert source.read("missing.png") is None


def test_a_folder_source_never_reads_outside_its_folder(tmp_path):
    (tmp_path / "logos").mkdir()
    (tmp_path / "logos" / "logo1.png").write_bytes(b"png")
    (tmp_path / "secret.txt").write_bytes(b"secret")
    source = parsing.FolderLogos(tmp_path / "logos")
    assert source.read("logo1.png") == b"png"
    assert source.read("../secret.txt") is None
    assert source.read(str(tmp_path / "secret.txt")) is None
