"""Multi-speaker test media with its ground truth: who speaks each line, and when.

Speakers: the LibriVox reader of examples/librivox (a real recording, public domain), a real
two-person telephone call (the sample that the MIT-licensed pyannote.audio wheel ships, fetched
from PyPI with pip), the bundled Piper voice, espeak-ng variants and, where Debian's `flite` is
installed, its voices. Everything is written under a folder the caller names, never into git.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from dubbing.media.audio import read_pcm

ROOT = Path(__file__).resolve().parent.parent
READER = sorted((ROOT / "examples" / "librivox").glob("*.wav"))
RATE = 16000
PYANNOTE = "pyannote.audio==4.0.7"
SAMPLE = "pyannote/audio/sample/"
ESPEAK = {"m3": "en+m3", "f2": "en+f2", "f4": "en+f4"}
FLITE = {"slt": "slt", "rms": "rms", "awb": "awb"}
TEXT = """\
Did you see the letter that came this morning? I left it on the table by the door.
No, I was out in the garden until noon. Was it from your brother?
It was, and he says the bridge on the north road is closed again.
Then we shall have to go round by the mill, which takes an hour longer.
I do not mind the walk if the weather holds. The sky looked clear at breakfast.
The farmer told me it would rain before evening, and he is seldom wrong.
Perhaps we should take the cart instead. The horse has rested all week.
The cart needs a new wheel, I am afraid. The old one cracked on the stones.
Could the blacksmith mend it by tomorrow if we asked him today?
He might, but he is busy with the new gate for the church.
Let us ask him anyway. The worst he can say is that he has no time.
I will go down after lunch and speak to him myself.
Bring back some bread from the baker while you are in the village.
How many loaves do you need? The big ones or the small round ones?
Two of the big ones, please, and a small cake for the children.
The children will be pleased. They have been very good all week.
Your sister writes that she will come to stay at the end of the month.
That is wonderful news. We must air the blue room before she arrives.
The chimney in the blue room smokes when the wind is from the east.
Then she can have the green room, which is warmer in any case.
Has anyone seen my reading glasses? I had them a minute ago.
They are on your head, where they always are when you lose them.
The lamp in the hall needs oil. It went out twice last night.
I bought a new can of oil on Monday. It should be in the cellar.
Shall we have supper early tonight? I am hungry after all that work.
Supper at six, then, and a game of cards afterwards if you like.
You always win at cards. I think you keep an ace in your sleeve.
Nonsense, I simply pay attention while you talk about the weather.
The clock on the mantel has stopped. Did anyone wind it on Sunday?
I wound it myself, but the spring may be broken. It is very old.
My grandfather bought that clock in the city when he was a young man.
Then we must take it to the watchmaker and have it cleaned properly.
"""
SENTENCES = [s.strip() for s in TEXT.replace("? ", "?\n").replace(". ", ".\n").splitlines()
             if s.strip()]


@dataclass(frozen=True)
class Line:
    start: float
    end: float
    speaker: str
    text: str


def speakers_available() -> list[str]:
    """Every speaker this machine can voice: reader, joe, espeak variants, flite voices."""
    names = ["reader", "joe", *ESPEAK]
    return names + list(FLITE) if shutil.which("flite") else names


def utterances(speaker: str, count: int, cache: Path, first: int = 0) -> list[tuple[Path, str]]:
    """`count` clips of `speaker` (16 kHz mono WAV) with their texts, cached in `cache`."""
    if speaker == "reader":
        return [(p, p.with_suffix(".txt").read_text().strip()) for p in READER[:count]]
    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for n in range(first, first + count):
        text = SENTENCES[n % len(SENTENCES)]
        dest = cache / f"{speaker}-{n:03d}.wav"
        if not dest.exists():
            _voice(speaker, text, dest)
        out.append((dest, text))
    return out


def _voice(speaker: str, text: str, dest: Path) -> None:
    raw = dest.with_suffix(".raw.wav")
    if speaker == "joe":
        from dubbing.engines.tts import Piper

        Piper("en").synthesize(text, raw)
    elif speaker in ESPEAK:
        subprocess.run(["espeak-ng", "-v", ESPEAK[speaker], "-w", str(raw), "--stdin"],
                       input=text, text=True, check=True)
    elif speaker in FLITE:
        subprocess.run(["flite", "-voice", FLITE[speaker], "-t", text, "-o", str(raw)], check=True)
    else:
        raise ValueError(f"no such speaker {speaker!r}")
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(dest),
                    "norm", "-3"], check=True)
    raw.unlink()


def dialogue(dest: Path, speakers: list[str], turns: int, seed: int = 7) -> list[Line]:
    """Alternating turns of `speakers` (never the same twice in a row), 0.3-0.9 s apart, as a
    16 kHz WAV at `dest`; its truth is written beside it (`.json`) and returned."""
    rng = np.random.default_rng(seed)
    pieces: list[np.ndarray] = []
    lines: list[Line] = []
    at = 0.5
    for n, speaker in enumerate(_turn_order(speakers, turns, rng)):
        spoken = sum(x.speaker == "reader" for x in lines)
        clip, text = (utterances("reader", spoken + 1, dest.parent)[-1] if speaker == "reader"
                      else utterances(speaker, 1, dest.parent / "clips", first=n)[0])
        samples, _ = read_pcm(clip)
        gap = float(rng.uniform(0.3, 0.9))
        pieces += [np.zeros(int(gap * RATE), np.float32), samples]
        lines.append(Line(round(at + gap, 3), round(at + gap + len(samples) / RATE, 3),
                          speaker, text))
        at += gap + len(samples) / RATE
    _write(dest, np.concatenate([*pieces, np.zeros(RATE // 2, np.float32)]), lines)
    return lines


def _turn_order(speakers: list[str], turns: int, rng: np.random.Generator) -> list[str]:
    """Each speaker once in the given order, then a random other one each turn."""
    order: list[str] = list(speakers[:turns])
    while len(order) < turns:
        left = [s for s in speakers if s != "reader" or order.count(s) < len(READER)]
        free = [s for s in left if s != order[-1]] or left
        order.append(free[int(rng.integers(len(free)))])
    return order


def phone_call(dest: Path) -> list[Line]:
    """The real two-speaker telephone call from the pyannote.audio wheel (30 s), one line per
    transcript line, as a 16 kHz WAV at `dest` with its truth beside it."""
    folder = dest.parent / "pyannote"
    if not (folder / "sample.wav").exists():
        _fetch_sample(folder)
    lines = []
    for row in (folder / "sample.stm").read_text().splitlines():
        _, _, speaker, start, end, *words = row.split()
        lines.append(Line(float(start), float(end), speaker, " ".join(words)))
    samples, _ = read_pcm(folder / "sample.wav")
    _write(dest, samples, lines)
    return lines


def _fetch_sample(folder: Path) -> None:
    wheels = folder / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "download", PYANNOTE, "--no-deps",
                    "--only-binary", ":all:", "-q", "-d", str(wheels)], check=True)
    wheel = next(wheels.glob("pyannote_audio-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        for name in ("sample.wav", "sample.stm", "sample.rttm"):
            (folder / name).write_bytes(archive.read(SAMPLE + name))


def _write(dest: Path, samples: np.ndarray, lines: list[Line]) -> None:
    write_wav(dest, samples)
    dest.with_suffix(".json").write_text(json.dumps([asdict(x) for x in lines], indent=1))


def write_wav(dest: Path, samples: np.ndarray) -> None:
    """16 kHz mono float samples as a 16-bit WAV."""
    import wave

    dest.parent.mkdir(parents=True, exist_ok=True)
    pcm = np.clip(samples * 32768.0, -32768, 32767).astype(np.int16)
    with wave.open(str(dest), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())


def load(dest: Path) -> tuple[np.ndarray, list[Line]]:
    """The samples and the truth of media made by `dialogue` or `phone_call`."""
    samples, _ = read_pcm(dest)
    truth = [Line(**x) for x in json.loads(dest.with_suffix(".json").read_text())]
    return samples, truth


def as_video(wav: Path, dest: Path) -> Path:
    """The audio over a test pattern, as an MP4 the service can dub."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-f", "lavfi",
                    "-i", "testsrc2=size=160x120:rate=10", "-map", "1:v", "-map", "0:a",
                    "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
                    "yuv420p", "-c:a", "aac", "-b:a", "48k", str(dest)], check=True)
    return dest


def main(argv: list[str] | None = None) -> int:
    """python -m bench.speakers_media OUT_DIR: the dialogue, the call and a monologue."""
    out = Path((argv or sys.argv[1:] or ["out/speakers"])[0])
    made = {"dialogue": dialogue(out / "dialogue.wav", ["reader", "joe", "m3", "f4"], 24),
            "call": phone_call(out / "call.wav"),
            "monologue": dialogue(out / "monologue.wav", ["joe"], 12)}
    as_video(out / "dialogue.wav", out / "dialogue.mp4")
    for name, lines in made.items():
        speakers = sorted({x.speaker for x in lines})
        print(f"{name}: {len(lines)} lines, {lines[-1].end:.1f} s, speakers {speakers}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
