"""GenreTaxonomy on planted families: recovery, every tag assigned, stable ids across versions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from features import GenreTaxonomy, TaxonomyError
from features._synthetic import planted_tags

from .conftest import small_taxonomy


def planted_artists(n_artists: int, n_families: int = 16, tags_per_family: int = 25, seed: int = 0):
    rng = np.random.default_rng(seed)
    fam_tags = planted_tags(n_families, tags_per_family)
    p = 1.0 / np.arange(1, tags_per_family + 1) ** 0.8
    p /= p.sum()
    artists, truth = [], {}
    for f, tags in enumerate(fam_tags):
        for t in tags:
            truth[t] = f
    for _ in range(n_artists):
        f = int(rng.integers(n_families))
        picks = rng.choice(tags_per_family, size=int(rng.integers(1, 5)), replace=False, p=p)
        tags = [fam_tags[f][j] for j in picks]
        if rng.random() < 0.15:
            tags.append(fam_tags[int(rng.integers(n_families))][int(rng.choice(tags_per_family, p=p))])
        artists.append(tags)
    return artists, truth


@pytest.fixture(scope="module")
def planted():
    artists, truth = planted_artists(6000)
    tx = small_taxonomy(min_artists=15).fit(artists + [None, []])
    return artists, truth, tx


def test_recovers_planted_families(planted):
    _, truth, tx = planted
    clustered = tx.clustered_tags_
    ari = adjusted_rand_score([truth[t] for t in clustered], [tx.tag_family_[t] for t in clustered])
    assert tx.k_ == 16, tx.selection_reason_
    assert ari > 0.95
    assert tx.largest_share_ <= 0.25 and tx.smallest_share_ >= 0.01
    assert {s.k for s in tx.k_scan_} == set(range(12, 21))


def test_every_tag_is_assigned_including_rare_and_unseen(planted):
    artists, truth, tx = planted
    seen = {t for a in artists for t in a}
    assert seen == set(tx.tag_family_)
    methods = set(tx.tag_method_.values())
    assert "clustered" in methods and "cooccurrence" in methods
    rock = tx.assign("rock")
    assert tx.assign("swedish deep rock") == rock          # unseen: longest known suffix ("deep rock")
    assert tx.assign("Totally New Rock") == rock           # unseen: head token
    assert tx.assign("zzz qqq") in tx.families_            # nothing matches: largest family
    fams = tx.transform([["rock", "jazz"], [], None])
    assert fams[0] == sorted({tx.assign("rock"), tx.assign("jazz")}) and fams[1] == [] and fams[2] is None


def test_families_are_named_by_their_central_tags(planted):
    _, truth, tx = planted
    for fam in tx.families_.values():
        heads = {truth[t] for t in fam.top_tags[:3]}
        assert len(heads) == 1, fam  # the top tags of a family come from one planted family
        assert fam.name.split(" / ")[0] == fam.top_tags[0]


def test_ids_stay_stable_when_artists_grow_by_ten_percent():
    artists, _ = planted_artists(6600, seed=3)
    first = small_taxonomy(min_artists=15).fit(artists[:6000])
    second = small_taxonomy(min_artists=15, random_state=1).fit(artists, previous=first.tag_family_)
    common = set(first.tag_family_) & set(second.tag_family_)
    kept = sum(first.tag_family_[t] == second.tag_family_[t] for t in common) / len(common)
    assert kept >= 0.9 and second.kept_from_previous_ == pytest.approx(kept)


def test_hungarian_matching_restores_permuted_ids(planted):
    artists, _, tx = planted
    permuted = {t: (f * 7 + 3) % 97 for t, f in tx.tag_family_.items()}  # same families, other ids
    again = small_taxonomy(min_artists=15).fit(artists, previous=permuted)
    same = sum(again.tag_family_[t] == permuted[t] for t in permuted) / len(permuted)
    assert same >= 0.95


def test_too_few_tagged_artists_is_a_clear_error():
    with pytest.raises(TaxonomyError, match="at least 10"):
        GenreTaxonomy().fit([["rock"], [], None])


def test_fast_ari_and_tree_cut_counts_match_the_slow_definitions():
    from features._cooccurrence import TreeCutter, average_linkage, distance_matrix, fast_ari, incidence

    rng = np.random.default_rng(0)
    for _ in range(50):
        a = rng.integers(0, int(rng.integers(1, 30)), int(rng.integers(2, 300)))
        b = np.where(rng.random(len(a)) < 0.7, a, rng.integers(0, 20, len(a)))
        assert fast_ari(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-9)
    artists, _ = planted_artists(1500, seed=5)
    tags = sorted({t for a in artists for t in a})
    X = incidence(artists, tags)
    D = distance_matrix(X)
    w = rng.integers(0, 3, X.shape[0]).astype(float)
    cut = TreeCutter(average_linkage(D), D, X, 0.01, w)
    n_big = cut._n_big()
    for m in range(2, 80):
        _, shares = cut._cut(m)
        assert int((shares >= 0.01).sum()) == n_big[m]
