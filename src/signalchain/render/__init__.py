"""Render what each listener hears: programs in, streaming engine, audio files out."""
