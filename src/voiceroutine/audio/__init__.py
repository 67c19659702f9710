"""Audio: clip conditioning, mixing, levels and encoding."""
