import pytest

from search.fusion import convex, rescale, rrf


def test_rrf_by_hand():
    fused = rrf([{1: 9.0, 2: 5.0, 3: 1.0}, {3: 0.9, 1: 0.5}], k=60)
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[2] == pytest.approx(1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)


def test_weighted_rrf():
    fused = rrf([{1: 1.0}, {1: 1.0}], k=10, weights=[0.25, 0.75])
    assert fused[1] == pytest.approx(0.25 / 11 + 0.75 / 11)


def test_minmax_and_zscore():
    assert rescale({1: 2.0, 2: 4.0, 3: 3.0}) == {1: 0.0, 2: 1.0, 3: 0.5}
    z = rescale({1: 1.0, 2: 3.0}, "zscore")
    assert z[1] == pytest.approx(-1.0) and z[2] == pytest.approx(1.0)
    assert rescale({}) == {}
    assert rescale({7: 3.0}) == {7: 1.0}
    with pytest.raises(ValueError, match="minmax"):
        rescale({1: 1.0}, "rank")


def test_convex_by_hand():
    fused = convex([{1: 10.0, 2: 0.0}, {2: 0.8, 3: 0.4}], weights=[0.3, 0.7])
    assert fused[1] == pytest.approx(0.3 * 1.0 + 0.7 * 0.0)
    assert fused[2] == pytest.approx(0.3 * 0.0 + 0.7 * 1.0)
    assert fused[3] == pytest.approx(0.3 * 0.0 + 0.7 * 0.0)
    assert convex([{}, {}], weights=[0.5, 0.5]) == {}
    with pytest.raises(ValueError):
        convex([{1: 1.0}], weights=[0.5, 0.5])


def test_the_registry_names_every_method_and_what_fuses_where():
    from search import FUSIONS
    from search.fusion import METHODS, method

    assert FUSIONS == tuple(METHODS) == ("convex", "rrf", "milvus-rrf", "milvus-weighted")
    bm25, dense = {1: 9.0, 2: 3.0}, {2: 0.9, 3: 0.5}
    for name in ("convex", "rrf"):
        m = method(name)
        fused = m.combine([bm25, dense], [0.4, 0.6], 60)
        parts = m.parts([bm25, dense], [0.4, 0.6], 60)
        assert m.server is None and set(fused) == {1, 2, 3}
        for row, score in fused.items():  # the parts add up to the fused score
            assert sum(p.get(row, 0.0) for p in parts) == pytest.approx(score)
    assert method("convex").combine([bm25, dense], [0.4, 0.6], 60)[2] == pytest.approx(0.6)
    assert [method(n).server for n in ("milvus-rrf", "milvus-weighted")] == ["rrf", "weighted"]
    with pytest.raises(ValueError, match="unknown fusion 'borda'; expected one of convex, rrf"):
        method("borda")


def test_the_package_exports_what_the_searcher_returns():
    import search
    from search.answering import Answer
    from search.answers import Obligation
    from search.query import QueryInfo
    from search.records import CitingDocument, Contribution, Evidence, Hit, OpenedPassage
    from search.searcher import Searcher

    assert sorted(search.__all__) == ["Answer", "CitingDocument", "Contribution", "Evidence",
                                      "FUSIONS", "Hit", "MODES", "Obligation", "OpenedPassage",
                                      "QueryInfo", "Searcher"]
    assert (search.Answer, search.Obligation, search.QueryInfo, search.Hit, search.Searcher,
            search.CitingDocument, search.Contribution, search.Evidence,
            search.OpenedPassage) == (Answer, Obligation, QueryInfo, Hit, Searcher,
                                      CitingDocument, Contribution, Evidence, OpenedPassage)
