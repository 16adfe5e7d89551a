"""tutela: detect, triage and prevent AI-generated child sexual abuse material.

Machine signals computed here prioritise human review; they are never verdicts.
"""

__version__ = "0.1.0"
