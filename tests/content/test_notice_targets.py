"""What a notice is targeted at, checked against the network (content/notice_targets.py), as
the desk's editor and the command line both check it: names in any case, keys or their start,
and an unknown name refused with the known ones listed."""

from __future__ import annotations

import pytest

from content.notice_targets import Hub, Network, UnknownTarget

RINGELAI = Hub("a1" * 32, "Ringelai", ("Ilzer Land",))
PERLESREUT = Hub("a2" * 32, "Perlesreut", ("Ilzer Land",))
SCHOENBERG = Hub("c3" * 32, "Schönberg", ("Sonnenwald",))
NETWORK = Network((RINGELAI, PERLESREUT, SCHOENBERG))


def test_names_in_any_case_and_keys_find_their_hubs() -> None:
    typed = ["ringelai", "SCHÖNBERG", PERLESREUT.key, " Perlesreut "]
    assert NETWORK.find_hubs(typed) == (sorted([RINGELAI.key, PERLESREUT.key, SCHOENBERG.key]), [])
    assert NETWORK.find_hubs(["c3c3c3c3"]) == ([SCHOENBERG.key], [])


def test_a_key_prefix_must_be_long_enough_and_name_one_hub() -> None:
    assert NETWORK.find_hubs(["c3c3c3"]) == ([], ["c3c3c3"])  # too short to be meant
    assert NETWORK.find_hubs(["a1a1a1a1"]) == ([RINGELAI.key], [])
    ambiguous = Network((RINGELAI, Hub("a1" * 31 + "ff", "Ringelai alt", ())))
    assert ambiguous.find_hubs(["a1a1a1a1"]) == ([], ["a1a1a1a1"])


def test_groups_are_spelt_as_their_grants_spell_them() -> None:
    assert NETWORK.find_groups(["ilzer land", "SONNENWALD"]) == (["Ilzer Land", "Sonnenwald"], [])
    assert NETWORK.targets([], ["ILZER LAND"]) == ([], ["Ilzer Land"])


def test_an_unknown_hub_or_group_is_refused_with_the_known_ones() -> None:
    with pytest.raises(UnknownTarget) as hub:
        NETWORK.targets(["Ringelay"], [])
    assert str(hub.value) == (
        "no hub 'Ringelay' in this network (hubs: Perlesreut, Ringelai, Schönberg)"
    )
    with pytest.raises(UnknownTarget) as group:
        NETWORK.targets(["Ringelai"], ["Ilzerland", "Sonnenwald"])
    assert str(group.value) == (
        "no group 'Ilzerland' in this network (groups: Ilzer Land, Sonnenwald)"
    )
    with pytest.raises(UnknownTarget, match=r"groups: none yet"):
        Network(()).targets([], ["Ilzer Land"])


def test_one_hub_by_name_or_an_error() -> None:
    assert NETWORK.hub("PERLESREUT") == PERLESREUT
    twins = Network((RINGELAI, Hub("b" * 64, "Ringelai", ())))
    with pytest.raises(UnknownTarget, match="2 hubs are named 'Ringelai'"):
        twins.hub("Ringelai")
    assert twins.find_hubs(["ringelai"]) == ([RINGELAI.key, "b" * 64], [])
