"""HTML of what the page shows (escaped): a passage with the query's words and the answer
marked, the obligations table, a document's card, the numbers behind a rank, a download.
Plain functions: no Streamlit call but :func:`block`, which puts one on the page."""

from __future__ import annotations

import html
import time

from search.highlight import to_html
from search.references import card_lines

TERM = ("<mark style='background:#fff3a3;padding:0 1px'>", "</mark>")
ANSWER = ("<span style='font-weight:600;text-decoration:underline;text-decoration-color:"
          "#c0392b;text-decoration-thickness:2px'>", "</span>")


PASSAGE = ("<mark id='passage' style='background:#ffe08a'>", "</mark>")


def block(inner_html: str) -> None:
    """Escaped HTML as one block (one line: markdown syntax inside is left alone)."""
    import streamlit as st

    st.markdown(f"<div>{inner_html}</div>", unsafe_allow_html=True)


def passage_html(hit, spans: list[tuple[int, int]]) -> str:
    marks = [(s, e, *TERM) for s, e in spans]
    if hit.answer_start is not None:
        marks.insert(0, (hit.answer_start - hit.start, hit.answer_end - hit.start, *ANSWER))
    return to_html(hit.text, marks)


OBLIGATION_COLUMNS = ("Ai", "Việc", "Thời hạn", "Gửi đến", "Căn cứ")


def obligations_table(obligations) -> str:
    """An HTML table (escaped) of the obligations: lighter in the browser than a data grid."""
    cell = ("<td data-label='{}' style='vertical-align:top;padding:4px 8px;"
            "border-top:1px solid #ddd'>{}</td>")  # the label heads the cell on a phone
    head = "".join(f"<th style='text-align:left;padding:4px 8px'>{c}</th>"
                   for c in OBLIGATION_COLUMNS)
    rows = []
    for ob in obligations:
        values = (ob.who or "—", ob.action, "; ".join(ob.when),
                  ob.to + (f" (qua {ob.via})" if ob.via else ""), ob.citation)
        rows.append("<tr>" + "".join(cell.format(label, html.escape(v)) for label, v in
                                     zip(OBLIGATION_COLUMNS, values)) + "</tr>")
    return (f"<table class='obligations' style='border-collapse:collapse;font-size:0.9em'>"
            f"<tr>{head}</tr>{''.join(rows)}</table>")


SPAN = ("<span style='background:#d4edda;padding:0 2px;border-radius:3px'>", "</span>")


def document_card_html(card: dict) -> str:
    """The card of a document asked for by its code (escaped)."""
    rows = [f"<b>{html.escape(card['doc_type'] or 'Văn bản')} số {html.escape(card['code'])}</b>"]
    rows += [f"{label}: {html.escape(value)}" for label, value in card_lines(card)]
    if card["cited_by"]:
        rows.append("Được dẫn chiếu trong: " + "; ".join(html.escape(c["citation"])
                                                         for c in card["cited_by"]))
    return "<br>".join(rows)


def score_lines(hit) -> list[str]:
    """The numbers behind a hit's rank, for whoever wants to check them."""
    parts = hit.contributions
    lines = [f"Điểm tổng hợp: {hit.score:.3f}"]
    if parts:
        lines.append(f"Phần từ khóa (BM25): {parts.bm25:.3f} · phần ngữ nghĩa: "
                     f"{parts.dense:.3f} (trọng số ngữ nghĩa {parts.dense_weight:.2f}, "
                     f"hợp nhất {parts.fusion})")
    if parts and parts.learned:
        lines.append("Điểm tổng hợp gồm: " + "; ".join(
            f"{EVIDENCE_LABELS.get(name, name)} {value:+.2f}"
            for name, value in parts.learned.items()))
    if hit.bm25_score is not None:
        lines.append(f"Điểm BM25 gốc: {hit.bm25_score:.3f}")
    if hit.dense_score is not None:
        lines.append(f"Độ tương đồng cosine: {hit.dense_score:.3f}")
    return lines


# what each feature of the learned combination (search/rerank.py) means, for the "why" of a hit
EVIDENCE_LABELS = {
    "fused": "khớp từ khóa và ngữ nghĩa",
    "pairs": "các cặp từ của câu hỏi có liền nhau trong đoạn",
    "law": "văn bản pháp luật, trong khi câu hỏi về công tác Đảng",
}


DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def download_script(data: bytes, name: str, mime: str) -> str:
    """A script that downloads ``data`` as ``name`` once, as soon as it is on the page."""
    import base64
    import json

    return ("<script>(() => { const a = document.createElement('a'); "
            f"a.href = 'data:{mime};base64,{base64.b64encode(data).decode()}'; "
            f"a.download = {json.dumps(name)}; document.body.appendChild(a); a.click(); "
            f"a.remove(); }})(); /* {time.time_ns()} */</script>")
