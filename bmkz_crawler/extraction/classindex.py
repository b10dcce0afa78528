"""The page's elements by class name, found in one scan of the document.

A CSS class selector run over a whole page is an XPath that splits and pads every element's
class attribute: a few of them per page were the largest cost of extraction. The extractor
asks for a handful of known theme classes, so one pass over the page's class attributes files
each element under the tokens it carries, and every later lookup is a dictionary access.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

_CLASS_ATTRIBUTES = etree.XPath("//@class", smart_strings=True)


class ClassIndex:
    """Elements carrying each of the given class tokens, in document order."""

    def __init__(self, root: etree._Element, tokens: frozenset[str]) -> None:
        self._by_token: dict[str, list[etree._Element]] = {token: [] for token in tokens}
        self._position: dict[etree._Element, int] = {}
        # `//@class` is evaluated in C and yields the attribute strings; only the few elements
        # that carry a wanted token get a Python proxy (through the string's getparent()).
        for position, classes in enumerate(_CLASS_ATTRIBUTES(root)):
            for token in classes.split():
                bucket = self._by_token.get(token)
                if bucket is not None:
                    element = classes.getparent()
                    bucket.append(element)
                    self._position[element] = position

    def having(self, *tokens: str) -> list[etree._Element]:
        """Elements that carry every one of the tokens (like `.a.b`)."""
        first, *rest = tokens
        others = [set(self._by_token[t]) for t in rest]
        return [el for el in self._by_token[first] if all(el in other for other in others)]

    def any_of(self, tokens: Iterable[str]) -> list[etree._Element]:
        """Elements carrying any of the tokens (like `.a, .b`), in document order, once each."""
        found = {el for token in tokens for el in self._by_token[token]}
        return sorted(found, key=self._position.__getitem__)
