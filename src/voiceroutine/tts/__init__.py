"""Text-to-speech: engines behind one small Protocol, and the clip cache in front of them."""
