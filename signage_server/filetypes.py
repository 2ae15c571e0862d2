"""What a file is, by its first bytes, when it is not a picture we take: so that the
editor is told what they sent ("a Word document", "a video") and what to do instead.

Pure: bytes in, ``(reason, danish)`` out; images.py turns them into ImageRejected.
"""

from __future__ import annotations

SAVE_AS = "Gem billedet som JPEG eller PNG, og send det igen."

HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_VIDEO_BRANDS = (b"iso", b"mp4", b"mp7", b"avc", b"3g", b"qt", b"M4V", b"f4v", b"dash", b"mmp4")
_ZIPPED = (
    (b"word/document.xml", "a Word document", "Filen er et Word-dokument, ikke et billede."),
    (
        b"ppt/presentation.xml",
        "a PowerPoint presentation",
        "Filen er en PowerPoint-præsentation, ikke et billede.",
    ),
    (b"xl/workbook.xml", "an Excel workbook", "Filen er et Excel-regneark, ikke et billede."),
    (
        b"application/vnd.oasis.opendocument",
        "an OpenDocument file",
        "Filen er et LibreOffice-dokument, ikke et billede.",
    ),
)
_BMP_HEADERS = (12, 16, 40, 52, 56, 64, 108, 124)
_OTHER_PICTURES = (
    (b"II*\0", "TIFF"),  # also most cameras' RAW files
    (b"MM\0*", "TIFF"),
    (b"8BPS", "PSD"),
    (b"\0\0\0\x0cjP  \r\n", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\0\0\0\x0cJXL \r\n", "JPEG XL"),
    (b"\0\0\1\0", "ICO"),
)


def iso_media(data: bytes) -> str | None:
    """ "HEIF", "AVIF" or "video" for an ISO media file (MP4, MOV, HEIC, AVIF), else None."""
    if data[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"):
        return "video"  # a QuickTime file from before ftyp boxes
    if data[4:8] != b"ftyp":
        return None
    end = min(max(int.from_bytes(data[:4], "big"), 16), len(data), 256)
    brands = [data[8:12], *(data[i : i + 4] for i in range(16, end - 3, 4))]
    if brands[0] in (b"avif", b"avis"):
        return "AVIF"
    if HEIF_BRANDS.intersection(brands):
        return "HEIF"
    if b"avif" in brands:
        return "AVIF"
    if brands[0].startswith(_VIDEO_BRANDS):
        return "video"
    return None


def not_a_picture(data: bytes) -> tuple[str, str]:
    """Say what a file Pillow cannot read is, by content, and what to do with it."""
    as_pdf = "Gem det som PDF (Filer → Gem som → PDF), og send PDF-filen."
    if b"%PDF-" in data[:1024]:
        return (
            "not an image: a PDF",
            "Filen er en PDF, ikke et billede. Send den som PDF-opslag, eller gem siden som "
            "JPEG eller PNG.",
        )
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        for member, what, danish in _ZIPPED:
            if member in data:
                return (f"not an image: {what}", f"{danish} {as_pdf}")
        return (
            "not an image: a zip archive",
            "Filen er en zip-fil, ikke et billede. Pak den ud, og send billederne hver for sig.",
        )
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return (
            "not an image: an old Office document",
            "Filen er et Office-dokument (Word, Excel eller PowerPoint), ikke et billede. "
            + as_pdf,
        )
    media = iso_media(data)
    if media == "video" or data.startswith(b"\x1a\x45\xdf\xa3") or data[8:12] == b"AVI ":
        return (
            "not an image: a video",
            "Filen er en video, og skærmene viser kun billeder. Gem et enkelt billede fra "
            "videoen (fx et skærmbillede) som JPEG, og send det.",
        )
    if media == "AVIF":
        return unaccepted("AVIF")
    # A BMP header's own size follows its 14 bytes: a text that starts "BM" is no BMP.
    if data.startswith(b"BM") and int.from_bytes(data[14:18], "little") in _BMP_HEADERS:
        return unaccepted("BMP")
    for magic, format_name in _OTHER_PICTURES:
        if data.startswith(magic):
            return unaccepted(format_name)
    head = data[:4096]
    if b"\0" not in head and sum(byte < 32 and byte not in b"\t\n\r\f" for byte in head) < 4:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if text.startswith((b"<!doctype html", b"<html")):
            return (
                "not an image: a web page",
                "Filen er en webside (HTML), ikke et billede. Gem selve billedet fra siden "
                "(højreklik → Gem billede som), og send det.",
            )
        if b"<svg" in text:
            return (
                "not an image: an SVG drawing",
                "Filen er en SVG-tegning, som skærmene ikke kan vise. Eksportér den som PNG "
                "(fx i Inkscape eller Illustrator), og send PNG-filen.",
            )
        return (
            "not an image: text",
            "Filen indeholder tekst, ikke et billede. Lav opslaget som billede (JPEG eller "
            "PNG) eller som PDF, og send det.",
        )
    return (
        "not an image Pillow can read",
        f"Filen er ikke et billede, som kan læses. {SAVE_AS}",
    )


def unaccepted(name: str) -> tuple[str, str]:
    return (
        f"format {name} is not accepted",
        f"Billedformatet {name} understøttes ikke. {SAVE_AS}",
    )
