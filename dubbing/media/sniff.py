"""Whether bytes begin a media file: the containers ffmpeg reads for video and audio, by their
first bytes (enough to refuse a text file or an image before storing it)."""

from __future__ import annotations


def looks_like_media(head: bytes) -> bool:
    """The containers ffmpeg reads for video and audio, by their first bytes."""
    if len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
        return True  # MP4, MOV, M4A, 3GP
    signatures = (b"\x1a\x45\xdf\xa3", b"RIFF", b"OggS", b"fLaC", b"FLV", b"ID3",
                  b"\x30\x26\xb2\x75", b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3", b"caff",
                  b".RMF", b"#!AMR", b"FORM")
    if head.startswith(signatures):
        return True
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return True  # MPEG audio or ADTS AAC frames
    return len(head) > 188 and head[0] == 0x47 and head[188] == 0x47  # MPEG-TS
