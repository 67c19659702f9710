"""voiceroutine: turn a written exercise routine into a voice-guided audio session."""

__version__ = "0.1.0"
