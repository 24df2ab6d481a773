"""Language per record with py3langid: its model ships inside the wheel (no download), it needs only numpy, and it
classifies about 16k short texts a second here."""
from __future__ import annotations

from py3langid.langid import MODEL_FILE, LanguageIdentifier

# European languages (and a few neighbours) the detector may answer with; the full 97-language set turns short
# English turns into Latin or Luxembourgish now and then.
CANDIDATES = ["en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "no", "fi", "cs", "sk", "hu", "ro", "hr",
              "sl", "el", "bg", "lt", "lv", "et", "ga", "ca", "eu", "gl", "tr", "ru", "uk"]


class LanguageDetector:
    def __init__(self, languages: list[str]):
        self.model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self.model.set_languages(sorted(set(CANDIDATES) | set(languages)))

    def detect(self, text: str, default: str, min_confidence: float) -> str:
        letters = sum(c.isalpha() for c in text[:2000])
        if letters < 12:  # "ok", "12345": too little to tell
            return default
        code, prob = self.model.classify(text[:2000])
        return code if prob >= min_confidence else default
