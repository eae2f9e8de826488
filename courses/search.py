"""Search that works for Chinese text.

Full-text engines (SQLite FTS5, PostgreSQL tsvector) split words on spaces and punctuation, so a
run of Han characters is one "word" and a search for 陶瓷 would not find 陶瓷成型施釉工. We index
and query Han text one character per token and match all tokens as a phrase: 陶瓷 finds every
text that holds 陶 followed by 瓷, on both database backends, with no segmentation dictionary.
"""

import re

from wagtail.search.query import Phrase

_HAN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
_SPACES = re.compile(r"\s+")


def cjk_tokens(text: str) -> str:
    """Put spaces around every Han character so each is a token of its own."""
    return _SPACES.sub(" ", _HAN.sub(r" \1 ", text or "")).strip()


# Anything but letters, digits and Han characters: quotes, brackets, "*", "^", control
# characters. SQLite's full-text syntax gives them meaning ("unterminated string" for a lone ").
_NOT_WORD = re.compile(r"[^\w]|_", re.UNICODE)


def search_query(text: str):
    """A Wagtail query for the user's text: Han characters as a phrase, other words as given.

    Only words are kept, lower-cased: punctuation is not searchable anyway, and FTS5 reads
    upper-case ``OR``/``AND``/``NOT``/``NEAR`` as operators (matching ignores case)."""
    tokens = cjk_tokens(_NOT_WORD.sub(" ", text or "").lower())
    if not tokens:
        return None
    return Phrase(tokens) if _HAN.search(text) else tokens


def searchable_text(*parts) -> str:
    return cjk_tokens(" ".join(str(part) for part in parts if part))
