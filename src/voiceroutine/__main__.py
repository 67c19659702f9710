"""Entry point for `python -m voiceroutine`."""

from voiceroutine.cli import main

main()
