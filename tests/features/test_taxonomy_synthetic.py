"""GenreTaxonomy on planted families: recovery at both levels, placement routes, stable ids."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import cophenet, linkage
from scipy.spatial.distance import pdist, squareform
from sklearn.base import clone
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


def planted_two_levels(n_artists: int, n_families: int = 5, subs_per_family: int = 5, tags_per_sub: int = 8,
                       seed: int = 0):
    """Artists whose tags come from one subfamily, often a sibling subfamily, rarely another family."""
    rng = np.random.default_rng(seed)
    sub_tags = planted_tags(n_families * subs_per_family, tags_per_sub)
    fam_of_sub = np.repeat(np.arange(n_families), subs_per_family)
    truth_fam = {t: int(fam_of_sub[s]) for s, tags in enumerate(sub_tags) for t in tags}
    truth_sub = {t: s for s, tags in enumerate(sub_tags) for t in tags}
    p = 1.0 / np.arange(1, tags_per_sub + 1) ** 0.7
    p /= p.sum()
    artists = []
    for _ in range(n_artists):
        s = int(rng.integers(len(sub_tags)))
        tags = [sub_tags[s][j] for j in rng.choice(tags_per_sub, size=int(rng.integers(1, 4)), replace=False, p=p)]
        if rng.random() < 0.5:  # a sibling subfamily of the same family
            sib = int(fam_of_sub[s] * subs_per_family + rng.integers(subs_per_family))
            tags.append(sub_tags[sib][int(rng.choice(tags_per_sub, p=p))])
        if rng.random() < 0.05:  # another family
            tags.append(sub_tags[int(rng.integers(len(sub_tags)))][int(rng.choice(tags_per_sub, p=p))])
        artists.append(sorted(set(tags)))
    return artists, truth_fam, truth_sub


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
    assert tx.largest_share_ <= 0.30 and tx.smallest_share_ >= 0.01
    assert {s.k for s in tx.family_scan_} == set(range(12, 21))
    assert tx.mean_bootstrap_ari_ > 0.9


def test_two_levels_recover_planted_families_and_subfamilies():
    artists, truth_fam, truth_sub = planted_two_levels(8000)
    tx = small_taxonomy(min_artists=10, k_min=3, k_max=8, sub_k_min=15, sub_k_max=35, n_bootstrap=6,
                        max_family_share=0.5, min_subfamily_share=0.01).fit(artists)
    tags = tx.clustered_tags_
    fam_ari = adjusted_rand_score([truth_fam[t] for t in tags], [tx.tag_family_[t] for t in tags])
    sub_ari = adjusted_rand_score([truth_sub[t] for t in tags], [tx.tag_subfamily_[t] for t in tags])
    assert tx.k_ == 5 and fam_ari > 0.95, (tx.k_, fam_ari, tx.selection_reason_)
    assert 20 <= tx.n_subfamilies_ <= 30 and sub_ari > 0.8, (tx.n_subfamilies_, sub_ari)
    # nested: each subfamily lies inside one family, and ids never collide across levels
    for t, s in tx.tag_subfamily_.items():
        assert tx.subfamilies_[s].parent_id == tx.tag_family_[t]
    assert not set(tx.families_) & set(tx.subfamilies_)


def test_every_tag_is_placed_with_its_route_and_unseen_tags_by_head_word(planted):
    artists, truth, tx = planted
    seen = {t for a in artists for t in a}
    assert seen == set(tx.tag_family_) == set(tx.tag_placement_)
    assert set(tx.tag_placement_.values()) <= {"clustered", "head-word", "fma", "co-occurrence", "unplaced"}
    assert tx.placed_use_share_ == 1.0
    rare = [t for t, r in tx.tag_placement_.items() if r != "clustered"]
    assert rare and all(tx.tag_family_[t] == tx.tag_family_[next(c for c in tx.clustered_tags_ if truth[c] == truth[t])]
                        for t in rare)
    rock = tx.assign("rock")
    assert tx.assign("swedish deep rock") == rock          # unseen: longest known suffix ("deep rock")
    assert tx.assign("Totally New Rock") == rock           # unseen: head word
    assert tx.assign("zzz qqq") is None                    # nothing matches: not placed
    fams = tx.transform([["rock", "jazz"], [], None, ["zzz qqq"]])
    assert fams[0] == sorted({tx.assign("rock"), tx.assign("jazz")}) and fams[1] == [] and fams[2] is None
    assert fams[3] == []


def test_placement_routes_are_validated_on_clustered_tags(planted):
    _, _, tx = planted
    v = tx.placement_validation_
    # planted names carry their family in the head word, so that route must recover it
    assert v["head-word"]["available"] and v["head-word"]["accuracy"] > 0.95 and v["head-word"]["coverage"] > 0.9
    assert v["fma"] == {"available": False}
    by_m = v["co-occurrence"]["by_artists"]
    assert by_m["1"] <= by_m["10"] and by_m["10"] > 0.8


def test_families_are_named_by_their_central_tags(planted):
    _, truth, tx = planted
    for fam in tx.families_.values():
        heads = {truth[t] for t in fam.top_tags[:3]}
        assert len(heads) == 1, fam  # the top tags of a family come from one planted family
        assert fam.name.split(" / ")[0] == fam.top_tags[0]


def test_ids_stay_stable_when_artists_grow_by_ten_percent():
    artists, _ = planted_artists(6600, seed=3)
    first = small_taxonomy(min_artists=15).fit(artists[:6000])
    second = small_taxonomy(min_artists=15, random_state=1).fit(artists, previous=first)
    common = set(first.tag_family_) & set(second.tag_family_)
    kept = sum(first.tag_family_[t] == second.tag_family_[t] for t in common) / len(common)
    assert kept >= 0.9 and second.kept_from_previous_ == pytest.approx(kept)
    kept_sub = sum(first.tag_subfamily_[t] == second.tag_subfamily_[t] for t in common) / len(common)
    assert kept_sub >= 0.8
    assert {m["previous_id"] for m in second.id_match_["family"]} <= set(first.families_) | {None}


def test_optimal_matching_restores_permuted_ids_and_new_ids_are_never_reused(planted):
    artists, _, tx = planted
    permuted = {t: (f * 7 + 3) % 97 for t, f in tx.tag_family_.items()}  # same families, other ids
    again = small_taxonomy(min_artists=15).fit(artists, previous=permuted, first_new_id=500)
    same = sum(again.tag_family_[t] == permuted[t] for t in permuted) / len(permuted)
    assert same >= 0.95
    # subfamilies had no previous ids: all new, from 500 up, none clashing with a family id
    assert min(again.subfamilies_) >= 500 and not set(again.subfamilies_) & set(permuted.values())


def test_match_groups_needs_real_overlap():
    from features._idmatch import match_groups

    new = {0: {"a", "b", "c"}, 1: {"x", "y"}, 2: {"p"}}
    old = {7: {"a", "b"}, 9: {"y", "z"}}
    ids, matches, nxt = match_groups(new, old, {}, next_id=20, order=[0, 1, 2])
    assert ids == {0: 7, 1: 9, 2: 20} and nxt == 21
    assert [m.previous_id for m in matches] == [7, 9, None]
    assert matches[0].jaccard == pytest.approx(2 / 3) and matches[1].jaccard == pytest.approx(1 / 3)
    ids, _, _ = match_groups(new, old, {}, next_id=20, order=[0, 1, 2], min_jaccard=0.5)
    assert ids == {0: 7, 1: 20, 2: 21}


def test_is_a_scikit_learn_estimator_and_deterministic_per_seed(planted):
    artists, _, tx = planted
    params = tx.get_params()
    assert params["random_state"] == 0 and params["min_artists"] == 15
    twin = clone(tx)
    assert not hasattr(twin, "tag_family_") and twin.get_params() == params
    twin.fit(artists)
    assert twin.tag_family_ == tx.tag_family_ and twin.mean_bootstrap_ari_ == tx.mean_bootstrap_ari_
    assert repr(GenreTaxonomy(k_min=9)) == "GenreTaxonomy(k_min=9)"


def test_too_few_tagged_artists_is_a_clear_error():
    with pytest.raises(TaxonomyError, match="at least 10"):
        GenreTaxonomy().fit([["rock"], [], None])


def test_weighted_average_linkage_is_scipy_average_with_equal_weights_and_duplicates_otherwise():
    from features._cooccurrence import weighted_average_linkage

    rng = np.random.default_rng(0)
    for n in (2, 3, 17, 60):
        D = squareform(pdist(rng.random((n, 4))))
        ours = weighted_average_linkage(D, np.ones(n))
        ref = linkage(squareform(D), method="average")
        assert np.allclose(ours[:, 2], ref[:, 2]) and np.allclose(cophenet(ours), cophenet(ref))
        assert np.array_equal(ours[:, 3], ref[:, 3])
    # integer weights = average linkage over copies of the leaves at distance 0
    D = squareform(pdist(rng.random((30, 3))))
    w = rng.integers(1, 4, 30)
    idx = np.repeat(np.arange(30), w)
    dup = linkage(squareform(D[np.ix_(idx, idx)], checks=False), method="average")
    assert np.allclose(np.sort(dup[:, 2])[-29:], weighted_average_linkage(D, w)[:, 2])


def test_fast_ari_and_tree_cut_counts_match_the_slow_definitions():
    from features._cooccurrence import TreeCutter, average_linkage, distance_matrix, fast_ari, incidence

    rng = np.random.default_rng(0)
    for _ in range(50):
        a = rng.integers(0, int(rng.integers(1, 30)), int(rng.integers(2, 300)))
        b = np.where(rng.random(len(a)) < 0.7, a, rng.integers(0, 20, len(a)))
        assert fast_ari(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-9)
        uses = rng.integers(1, 5, len(a))  # weighted = the labels repeated (tag uses)
        assert fast_ari(a, b, uses) == pytest.approx(adjusted_rand_score(np.repeat(a, uses), np.repeat(b, uses)), abs=1e-9)
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


def _genres_with_a_small_apart_genre(seed: int = 3) -> list[list[str]]:
    """Four big genres that share some artists (a bridge tag each) and one small genre (0.8% of
    the artists, 3 tags) that shares none with anything."""
    rng = np.random.default_rng(seed)
    artists = []
    for _ in range(2000):
        g = int(rng.integers(0, 4))
        tags = [f"g{g} t{j}" for j in range(6) if rng.random() < 0.5] or [f"g{g} t0"]
        if rng.random() < 0.3:
            tags.append(f"g{(g + 1) % 4} t0")  # neighbouring genres overlap a little
        artists.append(tags)
    for _ in range(16):
        artists.append([f"apart t{j}" for j in range(3) if rng.random() < 0.8] or ["apart t0"])
    return artists


def test_top_down_cut_keeps_a_small_genre_that_shares_no_artists_as_a_family():
    """A horizontal cut folds the small apart genre into a big family (it is under min_share); the
    top-down cut makes it a family as a distinct small genre, and splits the heavy families instead."""
    from features._cooccurrence import TreeCutter, distance_matrix, incidence, weighted_average_linkage
    from features._top_down_cut import TopDownCutter

    artists = _genres_with_a_small_apart_genre()
    tags = sorted({t for a in artists for t in a})
    X = incidence(artists, tags)
    D = distance_matrix(X, shrinkage=10.0)
    Z = weighted_average_linkage(D, np.sqrt(np.asarray(X.sum(axis=0)).ravel()))
    apart = [i for i, t in enumerate(tags) if t.startswith("apart")]
    flat = TreeCutter(Z, D, X, 0.015).labels(5)
    assert (flat == flat[apart[0]]).sum() > len(apart)  # folded into a big family
    top = TopDownCutter(Z, D, X, 0.015, distinct_share=0.004)
    lab = top.labels(5)
    assert set(np.flatnonzero(lab == lab[apart[0]])) == set(apart)
    genre = np.array([t.split()[0] for t in tags])
    for g in ("g0", "g1", "g2", "g3"):  # the four big genres are the other four families
        assert len(set(lab[genre == g])) == 1
    assert len(set(lab)) == 5
    # without the distinct rule the small genre cannot be a family
    plain = TopDownCutter(Z, D, X, 0.015).labels(5)
    assert (plain == plain[apart[0]]).sum() > len(apart)
    # subfamilies nest inside the families
    sub = top.subfamily_labels(5, 12, 0.01)
    assert all(len(set(lab[sub == s])) == 1 for s in set(sub))


def test_dendrogram_link_colours_follow_the_families():
    from features._plots import _family_link_colors
    from scipy.cluster.hierarchy import linkage

    points = np.array([[0.0], [0.1], [5.0], [5.1], [10.0]])
    Z = linkage(points, method="average")
    colors = _family_link_colors(Z, [7, 7, 9, 9, 9])
    # merges: (0,1) in 7, (2,3) in 9, then {2,3}+4 in 9, then everything (mixed)
    by_members = {}
    members = {i: {i} for i in range(5)}
    for step, (a, b) in enumerate(Z[:, :2].astype(int)):
        members[5 + step] = members[a] | members[b]
        by_members[frozenset(members[5 + step])] = colors[5 + step]
    assert by_members[frozenset({0, 1})] != by_members[frozenset({2, 3})]
    assert by_members[frozenset({2, 3})] == by_members[frozenset({2, 3, 4})]
    assert by_members[frozenset(range(5))] == "#999999"
