"""xlner: cross-lingual NER by annotation projection and teacher-student transfer."""
__version__ = "0.1.0"
