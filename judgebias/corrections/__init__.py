"""Corrections: debiasing judgments already made, and mitigations for live judges."""
