"""Text normalisation before any duplicate comparison: format-only differences must not make two records differ.

normalise_text() undoes, in order: mojibake (UTF-8 read as cp1252/latin-1, e.g. "cafÃ©" -> "café"), HTML entities
("&amp;", "&#39;", twice for double escaping), zero-width characters and soft hyphens, typographic quotes and
dashes, Unicode compatibility forms (NFKC: full-width letters, ligatures, "…"), chat-role tags and end-of-turn
tokens ("User:", "### Response:", "<|im_start|>user", "[INST]", "</s>") and prompt-template wrappers (the Alpaca
preamble), then whitespace. No dependency: a small, conservative mojibake fix rather than ftfy (which also
decodes more exotic cases, but is slower and not installed here).
"""
from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter

# cp1252 decodes bytes 0x80-0xBF to these characters (undefined bytes fall back to latin-1 control characters).
_CONT = {}
for _b in range(0x80, 0xC0):
    try:
        _CONT[bytes([_b]).decode("cp1252")] = _b
    except UnicodeDecodeError:
        _CONT[chr(_b)] = _b
_CONT_CLASS = "".join(re.escape(c) for c in _CONT)
# A UTF-8 lead byte seen as latin-1 (Â..ô), followed by exactly the continuation bytes it announces.
_MOJIBAKE = re.compile(f"[\u00c2-\u00df][{_CONT_CLASS}]|[\u00e0-\u00ef][{_CONT_CLASS}]{{2}}|[\u00f0-\u00f4][{_CONT_CLASS}]{{3}}")
_MARKERS = re.compile("[\u00c2-\u00f4]")


def _unmojibake_one(m: re.Match) -> str:
    s = m.group(0)
    try:
        return bytes([ord(s[0])] + [_CONT[c] for c in s[1:]]).decode("utf-8")
    except (UnicodeDecodeError, KeyError):
        return s


def fix_mojibake(text: str) -> str:
    """'donâ€™t cafÃ©' -> 'don’t café'; text without the lead characters costs one regex search."""
    for _ in range(2):  # double-encoded text needs a second pass
        if not _MARKERS.search(text):
            return text
        fixed = _MOJIBAKE.sub(_unmojibake_one, text)
        if fixed == text:
            return text
        text = fixed
    return text


_PUNCT = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None, "\u00ad": None,
})

# Role tags and end-of-turn tokens that exports leave inside message text.
_TOKENS = re.compile(r"<\|(?:im_start|im_end|endoftext|eot_id|start_header_id|end_header_id|user|assistant|system|end)\|>"
                     r"|</?s>|\[/?INST\]|<</?SYS>>", re.I)
_ROLE_PREFIX = re.compile(
    r"^\s*(?:#{2,4}\s*)?(?:user|assistant|system|human|gpt|bot|ai|question|answer|instruction|response|input|output)"
    r"\s*:\s*", re.I)
_CHATML_ROLE = re.compile(r"^\s*(?:user|assistant|system)\s*\n", re.I)  # what remains of "<|im_start|>user\n"
# Prompt-template wrappers (Alpaca and its derivatives): keep the instruction and input, drop the scaffolding.
_ALPACA = re.compile(r"^\s*below is an instruction that describes a task[^\n]*?(?:request|task)\.?\s*", re.I)
_SECTION = re.compile(r"^\s*#{2,4}\s*(?:instruction|input|response|context)\s*:?\s*$", re.I | re.M)


def normalise_text(text: str, casefold: bool = False, keep_lines: bool = True) -> str:
    """The comparable form of one piece of text. keep_lines=True keeps line breaks (one per non-empty line, for
    boilerplate detection); False collapses all whitespace (exact keys)."""
    if not text:
        return ""
    text = fix_mojibake(text)
    if "&" in text:
        for _ in range(2):
            unescaped = html.unescape(text)
            if unescaped == text:
                break
            text = unescaped
    text = unicodedata.normalize("NFKC", text.translate(_PUNCT)).translate(_PUNCT)
    if "<" in text or "[" in text:
        text = _TOKENS.sub("\n", text)
    text = _CHATML_ROLE.sub("", text)
    text = _ALPACA.sub("", text)
    if "#" in text:
        text = _SECTION.sub("\n", text)
    text = _ROLE_PREFIX.sub("", text)
    if keep_lines:  # split/join: about twice as fast as the equivalent regular expressions
        text = "\n".join(j for line in text.splitlines() if (j := " ".join(line.split())))
    else:
        text = " ".join(text.split())
    return text.casefold() if casefold else text


_NEGATION = re.compile(r"\b(?:not|no|never|nothing|nobody|none|neither|nor|without|cannot|\w+n't)\b", re.I)


def negations(text: str) -> tuple[str, ...]:
    """The negation words of a text, sorted: 'can't verify' and 'won't verify' (or 'can verify') differ here while
    embeddings put them at cosine 0.95. Expects normalised text (straight apostrophes)."""
    return tuple(sorted(w.lower().replace("cannot", "can't") for w in _NEGATION.findall(text)))


_TOKEN = re.compile(r"\w+(?:'\w+)*")
FLIP_WORDS = 3  # a changed span of at most this many words on each side that holds a negation is a flip


_EXPANDED = {"can't": ("can", "not"), "cannot": ("can", "not"), "won't": ("will", "not"), "shan't": ("shall", "not"),
             "ain't": ("am", "not")}
_NEG_WORDS = frozenset({"not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "without"})


def _expanded(text: str) -> list[str]:
    """Words, casefolded, with contractions spelled out ("doesn't" -> "does not", "can't" -> "can not")."""
    out: list[str] = []
    for w in _TOKEN.findall(text.casefold()):
        if w in _EXPANDED:
            out.extend(_EXPANDED[w])
        elif w.endswith("n't") and len(w) > 3:
            out.extend((w[:-3], "not"))
        else:
            out.append(w)
    return out


def _negated(words: list[str], i1: int, i2: int) -> Counter:
    """The negations a span words[i1:i2] touches: a negation word, or the word a 'not' follows ('can not' and
    'will not' differ, 'does not' and "doesn't" do not)."""
    found: Counter = Counter()
    for k in range(i1, i2):
        if words[k] in _NEG_WORDS:
            found[(words[k - 1] if k and words[k] == "not" else "", words[k])] += 1
        elif k + 1 < len(words) and words[k + 1] == "not" and k + 1 >= i2:
            found[(words[k], "not")] += 1
    return found


def negation_flip(a: str, b: str, na: tuple[str, ...] | None = None, nb: tuple[str, ...] | None = None) -> bool:
    """True when one text negates the other: a short changed span ("can" -> "can't", "is" -> "is not", "can't" ->
    "won't", an inserted "never") touches a negation. "doesn't" and "does not" are one negation; a negation
    inside a dropped, added or moved sentence is no flip: the rest of the text still says the same thing.
    Expects normalised text; costs one word diff only when the two texts' negation words differ (na, nb: their
    negations() when the caller has them)."""
    if (negations(a) if na is None else na) == (negations(b) if nb is None else nb):
        return False
    from difflib import SequenceMatcher

    x, y = _expanded(a), _expanded(b)
    for op, i1, i2, j1, j2 in SequenceMatcher(None, x, y, autojunk=False).get_opcodes():
        if op != "equal" and i2 - i1 <= FLIP_WORDS and j2 - j1 <= FLIP_WORDS and \
                _negated(x, i1, i2) != _negated(y, j1, j2):
            return True
    return False


_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")


def number_flip(a: str, b: str) -> bool:
    """True when one text is the other with other numbers: a short changed span replaces a number by another
    ("fell 24.44 points" / "fell 25.36 points", "2 + 3" / "4 + 7"): another price, date, count or exercise. A
    number in a dropped, added or moved sentence is no flip."""
    x, y = _NUMBER.findall(a), _NUMBER.findall(b)
    if sorted(x) == sorted(y) or not x or not y:
        return False
    from difflib import SequenceMatcher

    u, v = _TOKEN.findall(a.casefold()), _TOKEN.findall(b.casefold())
    for op, i1, i2, j1, j2 in SequenceMatcher(None, u, v, autojunk=False).get_opcodes():
        if op == "replace" and i2 - i1 <= FLIP_WORDS and j2 - j1 <= FLIP_WORDS and \
                any(w[:1].isdigit() for w in u[i1:i2]) and any(w[:1].isdigit() for w in v[j1:j2]):
            return True
    return False


# A name-like slot value: a capitalised word (or a run of them, "Northwind Labs") that does not start a sentence,
# line or text. Numbers are no slot: "2 + 3" and "4 + 7" are two exercises.
_CAPITALISED = re.compile(r"(?<![\w'])[A-Z][\w'&-]*(?:[ \t]+[A-Z][\w'&-]*)*")
_STARTERS = frozenset('.!?:;\n"(')
SLOT = "\u2980"


def mask_names(text: str) -> tuple[str, int]:
    """(the text with each name-like slot value replaced by one mark, slots replaced): what two answers of one
    template with other names ("I am Nova, made by Globex" / "I am Sage, made by Initech") share. A capitalised
    word that starts a sentence or line is kept as it is."""
    out, last, slots = [], 0, 0
    for m in _CAPITALISED.finditer(text):
        start = k = m.start()
        while k and text[k - 1] in " \t":
            k -= 1
        if not k or text[k - 1] in _STARTERS:
            rest = m.group(0).split(None, 1)
            if len(rest) == 1:
                continue
            start += m.group(0).index(rest[1])  # the run after the sentence-initial word is a slot
        out.append(text[last:start])
        out.append(SLOT)
        last, slots = m.end(), slots + 1
    if not slots:
        return text, 0
    out.append(text[last:])
    return "".join(out), slots
