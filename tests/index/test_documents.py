import json

import pytest

from index.readers.documents import DocumentError, read_file, strip_markdown
from index.readers.sources import read_beir, read_sources

from ..conftest import DOC_683


def test_markdown_emphasis_is_not_indexed_text():
    doc = read_file(DOC_683)
    assert "**" not in doc.text
    assert "(Thực hiện thường xuyên từ tháng 4/2017)" in doc.text
    assert strip_markdown("a **đậm** và *nghiêng* # x") == "a đậm và nghiêng # x"


def test_header_metadata_of_a_party_document():
    meta = read_file(DOC_683).metadata
    assert meta["code"] == "683-CV/HU"
    assert meta["doc_type"] == "Công văn"
    assert meta["issuer"] == "Huyện ủy Hớn Quản"
    assert meta["date"] == "2017-03-28"
    assert meta["recipients"][0] == "UBND huyện" and len(meta["recipients"]) == 5
    assert meta["distribution"][-1] == "Lưu VPHU"
    assert meta["signer"] == "Nguyễn Thị Kim Ngọc" and meta["signer_title"] == "T/M BAN THƯỜNG VỤ"
    refs = {r["code"]: r for r in meta["references"]}
    assert refs["1155-CV/TU"] == {"code": "1155-CV/TU", "doc_type": "Công văn",
                                  "date": "2017-03-10"}
    assert refs["38-KH/HU"]["doc_type"] == "Kế hoạch" and "683-CV/HU" not in refs


def test_header_with_spaced_code_and_title_block():
    from ..conftest import SAMPLE

    meta = read_file(SAMPLE / "2019-04-18_163-CV-DUK_Dong-Nai.txt").metadata
    assert meta["code"] == "163-CV/ĐUK" and meta["level"] == "tỉnh"
    assert meta["issuer"] == "Đảng ủy khối các cơ quan tỉnh"
    assert meta["parent_issuer"] == "Đảng bộ tỉnh Đồng Nai"
    assert meta["recipients"] == ["Các cấp ủy chi, đảng bộ cơ sở trực thuộc",
                                  "Báo cáo viên Đảng ủy khối"]
    assert meta["subject"].startswith("tiếp tục quan tâm lãnh đạo")
    program = read_file(SAMPLE / "2022_27-CTr-HU_thuc-hien-NQ-21-NQ-TW.txt").metadata
    assert program["doc_type"] == "Chương trình hành động"
    assert program["subject"].startswith("CHƯƠNG TRÌNH HÀNH ĐỘNG thực hiện Nghị quyết 21-NQ/TW")
    assert program["signer"] == "Đình Tấn Hoàng"
    news = read_file(SAMPLE / "2019_tin-bai_Giong-Rieng_Kien-Giang.txt").metadata
    assert "code" not in news and news["title"].startswith("Đảng bộ huyện")
    assert {r["code"] for r in news["references"]} >= {"71-KH/HU", "40-KH/HU"}


def test_docx(tmp_path):
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.add_paragraph("Số 12-KH/HU")
    d.add_paragraph("Các chi bộ báo cáo định kỳ hằng quý.")
    path = tmp_path / "ke-hoach.docx"
    d.save(path)
    doc = read_file(path)
    assert doc.doc_id == "ke-hoach"
    assert "báo cáo định kỳ hằng quý" in doc.text and doc.metadata["code"] == "12-KH/HU"


def _pdf(text: str) -> bytes:
    """A one-page PDF with a text layer (Helvetica, ASCII)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def test_pdf_with_text_layer(tmp_path):
    path = tmp_path / "bao-cao.pdf"
    path.write_bytes(_pdf("Bao cao so 05-BC/HU ve cong tac dang vien"))
    doc = read_file(path)
    assert "05-BC/HU" in doc.text and "cong tac dang vien" in doc.text


def test_html_drops_scripts(tmp_path):
    path = tmp_path / "tin.html"
    path.write_text("<html><head><title>t</title><script>alert(1)</script></head><body>"
                    "<h1>Tin bài</h1><p>Chi bộ sinh hoạt <b>định kỳ</b>.</p></body></html>",
                    encoding="utf-8")
    doc = read_file(path)
    assert "alert" not in doc.text and "Tin bài" in doc.text and "định kỳ" in doc.text


def test_beir_corpus(tmp_path):
    path = tmp_path / "corpus.jsonl"
    rows = [{"_id": "d1", "title": "Điều 1", "text": "Phạm vi điều chỉnh."},
            {"_id": "d2", "title": "", "text": "Đối tượng áp dụng."}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    docs = list(read_beir(path))
    assert [d.doc_id for d in docs] == ["d1", "d2"] and docs[0].title == "Điều 1"
    path.write_text('{"title": "no id"}\n', encoding="utf-8")
    with pytest.raises(DocumentError, match="line 1"):
        list(read_beir(path))


@pytest.mark.parametrize("name,content,reason", [
    ("empty.txt", b"", "empty file"),
    ("legacy.txt", b"\xd0a\xd2ng b\xf4\xf2 huy\xea\xf2n",  # cp1258
     "not valid UTF-8"),
    ("slides.pptx", b"PK\x03\x04", "unsupported file type"),
    ("broken.docx", b"this is not a zip file", ".docx"),
    ("broken.pdf", b"%PDF-1.4 garbage", "PDF"),
    ("blank.md", b"  \n\n ** **\n", "no text"),
])
def test_bad_files_get_one_clear_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError) as info:
        read_file(path)
    assert name in str(info.value) and reason in str(info.value)


def test_read_sources_skips_bad_files_and_goes_on(tmp_path):
    (tmp_path / "ok.txt").write_text("Chi bộ họp định kỳ hằng tháng.", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "broken.docx").write_bytes(b"nope")
    docs, skipped = read_sources([tmp_path, tmp_path / "missing.txt"])
    assert [d.doc_id for d in docs] == ["ok"]
    assert {p.rsplit("/", 1)[-1] for p, _ in skipped} == {"empty.txt", "broken.docx", "missing.txt"}
