"""Speech recognition, translation and speech synthesis engines.

Heavy libraries (faster_whisper, piper, TTS) are imported inside the engine that needs them, so
the CPU worker starts without the speech extras installed.
"""
