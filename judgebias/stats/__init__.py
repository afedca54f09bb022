"""Statistics of judge bias: intervals and tests, position effects, length-controlled
win rates, self-preference (DBG), factor attribution and sample-size planning.

Each module takes and returns pandas objects; see the module docstrings for the
formulas and the published figures they reproduce.
"""
