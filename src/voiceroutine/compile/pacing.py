"""How the session is paced: the gaps between lines and the thresholds for cues, in ms."""

from __future__ import annotations

LEAD_IN_MS = 500
WORD_GAP_MS = 350
"""Between short lines said together, such as "Last one." and "And hold."."""
LINE_GAP_MS = 700
SECTION_GAP_MS = 1000
SETTLE_MS = 4000
"""The quiet after a breathing block, before the next line."""
TAIL_MS = 2000
HEADS_UP_BEFORE_END_MS = 1500
HALFWAY_MIN_HOLD_MS = 10_000
COUNTDOWN_AFTER_HALFWAY = 3
BREATH_COUNT_MIN_MS = 3000
MID_HOLD_CUE_MIN_MS = 15_000
TONE_MARGIN_MS = 200
"""A breathing tone ends this long before its phase does, so phases stay distinct."""
HOLD_TONE_MS = 400
