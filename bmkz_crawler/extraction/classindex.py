"""The page's elements by class name, found in one scan of the document.

A CSS class selector run over a whole page is an XPath that splits and pads every element's
class attribute: a few of them per page were the largest cost of extraction. The extractor
asks for a handful of known theme classes, so one walk over the elements files each one under
the tokens it carries, and every later lookup is a dictionary access.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree


class ClassIndex:
    """Elements carrying each of the given class tokens, in document order."""

    def __init__(self, root: etree._Element, tokens: frozenset[str], substrings: tuple[str, ...] = ()) -> None:
        self._by_token: dict[str, list[etree._Element]] = {token: [] for token in tokens}
        self._position: dict[etree._Element, int] = {}
        # Elements whose class attribute contains a substring (e.g. "view": `post-views`,
        # `article__views`), for generic rules that cannot name the theme's classes.
        self.containing: dict[str, list[etree._Element]] = {text: [] for text in substrings}
        # On a plain lxml tree (see article.parse_html) element proxies are cheap, and one walk
        # reading the attribute beats any XPath class test over the whole page.
        for position, element in enumerate(root.iter(etree.Element)):
            classes = element.get("class")
            if not classes:
                continue
            for text in substrings:
                if text in classes:
                    self.containing[text].append(element)
                    self._position[element] = position
            for token in classes.split():
                bucket = self._by_token.get(token)
                if bucket is not None:
                    bucket.append(element)
                    self._position[element] = position

    def having(self, *tokens: str) -> list[etree._Element]:
        """Elements that carry every one of the tokens (like `.a.b`)."""
        # A token nobody indexed finds nothing (a profile subclass may name classes of its own).
        first, *rest = tokens
        others = [set(self._by_token.get(t, ())) for t in rest]
        return [el for el in self._by_token.get(first, ()) if all(el in other for other in others)]

    def any_of(self, tokens: Iterable[str]) -> list[etree._Element]:
        """Elements carrying any of the tokens (like `.a, .b`), in document order, once each."""
        found = {el for token in tokens for el in self._by_token.get(token, ())}
        return sorted(found, key=self._position.__getitem__)

    def position(self, element: etree._Element) -> int:
        """The element's place in document order (for elements this index holds)."""
        return self._position[element]
