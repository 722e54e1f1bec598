"""The instance writer's own serialiser writes exactly what ElementTree.tostring writes."""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, tostring

from hypothesis import given
from hypothesis import strategies as st

from forms.instance_xml import serialise_tree

NAMES = st.sampled_from(["data", "q", "group_1", "meta", "instanceID", "x-y.z", "jr:a"])
TEXTS = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["", "a&b<c>d\"e'f\r\n\t"]))
ATTRIBUTES = st.dictionaries(
    st.sampled_from(["id", "version", "xmlns:jr", "jr:template", "odk:x"]),
    st.text(max_size=8) | st.just('"<&>\r\n\t'),
    max_size=3,
)


@st.composite
def trees(draw: st.DrawFn, depth: int = 0) -> Element:
    element = Element(draw(NAMES), draw(ATTRIBUTES))
    element.text = draw(TEXTS)
    if depth < 3:
        for _ in range(draw(st.integers(0, 3))):
            child = draw(trees(depth + 1))
            child.tail = draw(st.one_of(st.none(), st.text(max_size=3)))
            element.append(child)
    return element


@given(trees())
def test_the_serialiser_matches_elementtree_byte_for_byte(tree: Element) -> None:
    assert serialise_tree(tree) == tostring(tree, encoding="unicode")


def test_namespaced_tags_are_left_to_elementtree() -> None:
    root = Element("{http://www.w3.org/2002/xforms}data")
    SubElement(root, "q").text = "1"
    assert serialise_tree(root) == tostring(root, encoding="unicode")
