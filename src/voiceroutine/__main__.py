"""Entry point for `python -m voiceroutine`."""

from voiceroutine.launch import main

main()
