"""Media handling on ffmpeg/ffprobe: probing, extraction, fitting, mixing, muxing."""
