"""Online and bulk give the same clusters; the result does not depend on input order."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity import (
    Comparison,
    Exclusion,
    IdentitySettings,
    Level,
    Linker,
    Scorer,
    bulk_clusters,
    default_settings,
    reference_bulk_clusters,
    standardise,
)
from identity.errors import InvalidSettings

pytestmark = pytest.mark.unit


def weighted() -> IdentitySettings:
    """Default settings with simple monotone weights (exact strong, fuzzy weaker, else negative)."""
    comps = []
    for c in default_settings().comparisons:
        n = len(c.levels)
        levels = tuple(
            Level(**{**lv.model_dump(), "m": 0.9 / (i + 1), "u": 0.01 * (i + 1)})
            for i, lv in enumerate(c.levels)
        )
        comps.append(Comparison(name=c.name, field=c.field, levels=levels, else_m=0.05 / n, else_u=0.9))
    return default_settings().model_copy(update={"comparisons": tuple(comps), "trained": True, "prior": 1e-3})


SETTINGS = weighted()
PEOPLE = [
    {
        "first_name": "Grace",
        "last_name": "Wanjiru",
        "dob": "19900304",
        "national_id": "12345678",
        "phone": "+254711000001",
    },
    {
        "first_name": "Peter",
        "last_name": "Otieno",
        "dob": "19851111",
        "national_id": "22345678",
        "phone": "+254711000002",
    },
    {
        "first_name": "Amina",
        "last_name": "Hassan",
        "dob": "19700101",
        "national_id": "32345678",
        "phone": "+254711000003",
    },
    {
        "first_name": "John",
        "last_name": "Kamau",
        "dob": "19990909",
        "national_id": "42345678",
        "phone": "+254711000004",
    },
]
VARIANTS = [
    lambda p: dict(p),
    lambda p: {**p, "phone": ""},
    lambda p: {**p, "first_name": p["first_name"][:-1] + "a", "national_id": ""},
    lambda p: {**p, "dob": p["dob"][:4] + p["dob"][6:] + p["dob"][4:6]},
    lambda p: {**p, "first_name": p["last_name"], "last_name": p["first_name"]},
]


def partition(records: list[tuple[str, ...]], clusters: list[int]) -> set[frozenset[tuple[str, ...]]]:
    groups: dict[int, set[tuple[str, ...]]] = {}
    for r, c in zip(records, clusters, strict=True):
        groups.setdefault(c, set()).add(r)
    return {frozenset(g) for g in groups.values()}


def online(records: list[tuple[str, ...]], settings: IdentitySettings = SETTINGS) -> list[int]:
    linker = Linker(settings)
    for r in records:
        linker.add(r)
    return linker.clusters()


records_strategy = st.lists(
    st.tuples(st.integers(0, len(PEOPLE) - 1), st.integers(0, len(VARIANTS) - 1)),
    min_size=1,
    max_size=25,
    unique=True,
).map(lambda xs: [standardise(VARIANTS[v](PEOPLE[p])) for p, v in xs])


@settings(max_examples=60, deadline=None)
@given(records_strategy, st.randoms(use_true_random=False))
def test_online_equals_bulk_and_order_does_not_matter(records: list[tuple[str, ...]], rnd: object) -> None:
    assert online(records) == bulk_clusters(records, SETTINGS) == reference_bulk_clusters(records, SETTINGS)
    shuffled = list(records)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert partition(shuffled, online(shuffled)) == partition(records, online(records))


def test_variants_of_one_person_form_one_cluster_and_people_stay_apart() -> None:
    records = [standardise(v(p)) for p in PEOPLE for v in VARIANTS]
    assert len(partition(records, online(records))) == len(PEOPLE)


def test_a_record_linking_two_clusters_merges_them_into_the_older() -> None:
    linker = Linker(SETTINGS)
    p = PEOPLE[0]
    a = linker.add(
        standardise({"first_name": p["first_name"], "national_id": p["national_id"], "dob": p["dob"]})
    )
    b = linker.add(standardise({"last_name": p["last_name"], "phone": p["phone"], "dob": p["dob"]}))
    assert (a.cluster, b.cluster, b.links) == (0, 1, ())
    c = linker.add(standardise(p))
    assert (c.cluster, c.merged) == (0, (1,))
    assert linker.clusters() == [0, 0, 0]


def test_household_sharing_a_phone_and_surname_is_not_merged() -> None:
    mother = standardise(
        {"first_name": "Grace", "last_name": "Wanjiru", "dob": "19700304", "phone": "+254711000009"}
    )
    son = standardise(
        {"first_name": "Kevin", "last_name": "Wanjiru", "dob": "20010812", "phone": "+254711000009"}
    )
    explanation = Scorer(SETTINGS).explain(mother, son)
    assert not explanation.is_match
    assert {e.comparison: e.level for e in explanation.evidence}["phone"] == "exact"


def test_copied_national_id_alone_does_not_merge() -> None:
    a = standardise(
        {"first_name": "Grace", "last_name": "Wanjiru", "dob": "19700304", "national_id": "12345678"}
    )
    b = standardise(
        {"first_name": "Peter", "last_name": "Otieno", "dob": "19851111", "national_id": "12345678"}
    )
    assert not Scorer(SETTINGS).explain(a, b).is_match


def test_bulk_decides_similarities_at_the_threshold_like_online() -> None:
    """Near-threshold Jaro-Winkler scores must not be rounded differently by the vectorised bulk."""
    names = ["martha", "marhta", "dixon", "dicksonx", "jellyfish", "smellyfish", "abcdefgh", "abcdefhg"]
    records = [standardise({"first_name": n, "last_name": "Otieno", "dob": "19800101"}) for n in names]
    assert bulk_clusters(records, SETTINGS) == reference_bulk_clusters(records, SETTINGS) == online(records)


TWIN_A = standardise(
    {
        "first_name": "Faith",
        "middle_name": "Akinyi",
        "last_name": "Wanjiru",
        "dob": "20010812",
        "street": "12 moi avenue",
        "national_id": "55555555",
    }
)
TWIN_B = standardise(
    {
        "first_name": "Joy",
        "middle_name": "Nekesa",
        "last_name": "Wanjiru",
        "dob": "20010812",
        "street": "12 moi avenue",
        "national_id": "55555555",  # a copied id: evidence, not proof
    }
)


HOUSEHOLD = {"middle_name": "A", "last_name": "Wanjiru", "dob": "20010812", "street": "12 moi avenue"}
SPOUSE = standardise({**HOUSEHOLD, "first_name": "Joseph", "sex": "M"})
WIFE = standardise({**HOUSEHOLD, "first_name": "Faith", "sex": "F"})  # the birthday copied


@pytest.mark.parametrize(
    ("a", "b", "excluded"),
    [
        pytest.param(TWIN_A, TWIN_B, "given names differ", id="twins: both given names differ"),
        pytest.param(SPOUSE, WIFE, "first name and sex differ", id="household: first name and sex differ"),
        pytest.param(TWIN_A, TWIN_A, None, id="same record"),
        pytest.param(
            TWIN_A,
            standardise({"first_name": "Joy", "last_name": "Wanjiru", "dob": "20010812"}),
            None,
            id="no middle name: no exclusion",
        ),
        pytest.param(
            SPOUSE,
            standardise({**HOUSEHOLD, "first_name": "Joseph", "sex": "F"}),
            None,
            id="same first name, sex differs: no exclusion",
        ),
        pytest.param(
            SPOUSE,
            standardise({**HOUSEHOLD, "first_name": "Faith"}),
            None,
            id="no sex: no exclusion",
        ),
    ],
)
def test_an_exclusion_forbids_a_link_whatever_the_weight(a, b, excluded) -> None:
    scorer = Scorer(SETTINGS)
    explanation = scorer.explain(a, b)
    assert explanation.excluded_by == excluded
    if excluded:
        assert explanation.total_weight > scorer.threshold_weight  # the weights alone would link
        assert not explanation.is_match and scorer.weight(a, b) == float("-inf")
        records = [a, b]
        assert online(records) == bulk_clusters(records, SETTINGS) == [0, 1]


def test_exclusions_are_validated_with_everything_else() -> None:
    bad = SETTINGS.model_copy(
        update={"exclusions": (Exclusion(name="x", levels={"nope": ("else",), "dob": ("fuzzy",)}),)}
    )
    with pytest.raises(InvalidSettings) as err:
        bad.validate_all()
    assert len(err.value.errors) == 2


def _with_name_frequencies(frequencies: dict[str, float]) -> IdentitySettings:
    return SETTINGS.model_copy(update={"term_frequencies": {"last_name": frequencies}})


def test_an_exact_surname_weighs_by_how_common_it_is() -> None:
    """Term-frequency adjustment: rarer than average is stronger evidence, commoner is weaker, and a
    surname never seen in training keeps the level's average weight."""
    base = {"first_name": "Grace", "dob": "19900304"}
    scorer = Scorer(_with_name_frequencies({"otieno": 0.05, "kiprotich": 0.0001}))
    level_average = Scorer(SETTINGS)

    def surname_weight(s: Scorer, surname: str) -> float:
        record = standardise({**base, "last_name": surname})
        evidence = {e.comparison: e for e in s.explain(record, record).evidence}["last_name"]
        assert evidence.level == "exact"
        return evidence.weight

    average = surname_weight(level_average, "Otieno")
    assert surname_weight(scorer, "Otieno") < average < surname_weight(scorer, "Kiprotich")
    assert surname_weight(scorer, "Wafula") == average
    m = next(c for c in SETTINGS.comparisons if c.name == "last_name").levels[0].m
    assert m is not None
    assert surname_weight(scorer, "Kiprotich") == pytest.approx(math.log2(m / 0.0001), abs=1e-4)
    records = [standardise({**base, "last_name": "Kiprotich"}), standardise({**base, "last_name": "Otieno"})]
    adjusted = _with_name_frequencies({"otieno": 0.05, "kiprotich": 0.0001})
    assert online(records * 2, adjusted) == bulk_clusters(records * 2, adjusted) == [0, 1, 0, 1]
