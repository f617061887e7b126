"""The default model as an ONNX graph, for embedding passages faster than torch.

On first use the sentence-transformers folder of the default model (see
:mod:`index.encoders.e5_model`) is exported to ONNX with eager attention, and its attention,
layer norms and GELU are fused by ONNX Runtime's transformer optimizer:
``<model folder>/onnx/model.onnx``, the same fp32 arithmetic as torch, faster mostly because
each passage runs alone, with no padding.  ``model-int8.onnx`` has its matrix products
quantized to int8 (per-channel weight scales, activations quantized as they come): faster
still, but dense retrieval alone loses a little on ALQAC, so it is used only when asked for
(``TRACUU_ENGINE=onnx-int8``).  The figures (speed, cosines to torch's vectors, nDCG on the
four benchmarks): ``python -m eval perf`` and docs/benchmarks.md.
Graphs are written through a temporary folder, once.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

GRAPHS = {False: Path("onnx") / "model.onnx", True: Path("onnx") / "model-int8.onnx"}


def available() -> bool:
    """Whether ONNX Runtime and the exporter's ``onnx`` package are installed."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def ensure_graph(folder: Path, int8: bool = False) -> Path:
    """The fused (or int8) graph of the sentence-transformers model in ``folder``, exported on
    first use."""
    target = Path(folder) / GRAPHS[int8]
    if target.exists():
        return target
    log.info(f"Exporting {Path(folder).name} to an ONNX graph{' (int8)' if int8 else ''} - "
             "once only, about a minute ...")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="export.", dir=target.parent))
    try:
        if int8:  # from the fused graph
            _quantize(ensure_graph(folder), work / "graph.onnx")
        else:
            _export(Path(folder), work / "exported.onnx")
            _optimize(Path(folder), work / "exported.onnx", work / "graph.onnx")
        os.replace(work / "graph.onnx", target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _export(folder: Path, out: Path) -> None:
    import torch
    import transformers
    from transformers import AutoModel

    transformers.logging.set_verbosity_error()
    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()

    class LastHidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    ids = torch.tensor([[0, 5, 6, 2], [0, 7, 2, 1]])
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(LastHidden(model), (ids, (ids != 1).long(), torch.zeros_like(ids)),
                          str(out), input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes={n: {0: "batch", 1: "tokens"}
                                        for n in [*names, "last_hidden_state"]},
                          opset_version=17, dynamo=False)


def _optimize(folder: Path, src: Path, out: Path) -> None:
    from onnxruntime.transformers import optimizer

    config = json.loads((folder / "config.json").read_text())
    fused = optimizer.optimize_model(str(src), model_type="bert",
                                     num_heads=config["num_attention_heads"],
                                     hidden_size=config["hidden_size"], opt_level=1)
    counts = fused.get_fused_operator_statistics()
    if not counts.get("Attention"):
        raise RuntimeError(f"ONNX export of {folder.name}: attention was not fused ({counts})")
    fused.save_model_to_file(str(out))


def _quantize(src: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # the quantizer's advice on pre-processing
    quantize_dynamic(str(src), str(out), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul", "Attention"],
                     extra_options={"DefaultTensorType": 1})  # 1: float


class OnnxEncoder:
    """Mean-pooled, L2-normalized vectors of texts from the fused or int8 graph (prompts added
    by the caller), the same pooling as the sentence-transformers folder's."""

    def __init__(self, folder: Path, int8: bool = False, max_tokens: int = 512):
        import onnxruntime as ort
        from transformers import AutoTokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(ensure_graph(folder, int8)), options,
                                            providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.max_tokens = max_tokens
        self.dim = json.loads((Path(folder) / "config.json").read_text())["hidden_size"]

    def encode(self, texts: list[str]) -> np.ndarray:
        """One text a run: a batch of one pads nothing (measured as fast as batches of 8 sorted
        by length), and int8 activations are quantized with one scale a run, so in a batch a
        text's vector would depend on its neighbours."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            enc = self.tokenizer([text], truncation=True, max_length=self.max_tokens,
                                 return_tensors="np")
            ids = enc["input_ids"].astype(np.int64)
            feed = {"input_ids": ids, "attention_mask": np.ones_like(ids),
                    "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
            pooled = hidden[0].mean(0)
            out[row] = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return out
