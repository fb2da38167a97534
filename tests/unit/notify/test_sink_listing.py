from services.notify.sink import list_messages

MESSAGE = (
    b"X-Envelope-From: news@example.org\r\nX-Envelope-To: reader@example.com\r\n"
    b"From: Example News <news@example.org>\r\nTo: reader@example.com\r\n"
    b"Subject: =?utf-8?q?Caf=C3=A9?=\r\nDate: Sat, 01 Mar 2025 12:30:00 +0000\r\n\r\nBody\r\n"
)


def test_listing_a_directory_that_does_not_exist_yet_is_empty(tmp_path):
    assert list_messages(tmp_path / "mail") == []


def test_listing_decodes_headers_and_skips_files_still_being_written(tmp_path):
    (tmp_path / "20250301T123000.000001Z-000001.eml").write_bytes(MESSAGE)
    (tmp_path / "20250301T123000.000002Z-000002.part").write_bytes(MESSAGE[:40])
    (tmp_path / "notes.txt").write_text("not mail")

    [entry] = list_messages(tmp_path)

    assert entry["file"] == "20250301T123000.000001Z-000001.eml"
    assert entry["subject"] == "Café"
    assert entry["envelope_to"] == "reader@example.com"
    assert entry["list_unsubscribe"] is None
