"""Write outputs so that a crash or a kill never leaves a half-written file behind.

Everything is written to a temporary file in the destination's directory and renamed into place,
which is atomic on POSIX file systems; on error the temporary file is removed. Inside `all_or_nothing()` (every
`xlner` command runs in one) the renames wait for the end of the block: a stage with several outputs leaves
none of them when any step fails, not the first ones.
"""
import contextlib
import contextvars
import glob
import json
import os
import shutil
import tempfile
from pathlib import Path

from xlner.errors import InputError

# The (temporary, final) paths written inside the current all_or_nothing block; None outside one.
_PENDING = contextvars.ContextVar("xlner_pending_outputs", default=None)


@contextlib.contextmanager
def all_or_nothing():
    """Outputs written inside the block are renamed into place together when it ends without an error; an error
    removes every one of them."""
    pending = []
    token = _PENDING.set(pending)
    try:
        yield
    except BaseException:
        for tmp, _ in pending:
            _remove(tmp)
        raise
    finally:
        _PENDING.reset(token)
    for tmp, path in pending:
        _move_into_place(tmp, path)


def current_location(path):
    """Where an output written in this all_or_nothing block is now: its temporary name until the block ends (a
    stage that reads back what it wrote, e.g. a training job scoring its saved model), else `path` itself."""
    for tmp, final in reversed(_PENDING.get() or []):
        if Path(final) == Path(path):
            return tmp
    return path


def _remove(tmp):
    if Path(tmp).is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _move_into_place(tmp, path):
    if Path(tmp).is_dir() and Path(path).exists():
        shutil.rmtree(path)
    os.replace(tmp, path)


# Temporary directories being filled (atomic_directory blocks): a file written inside one is part of it, and goes
# into place with it.
_FILLING = contextvars.ContextVar("xlner_directories_being_filled", default=())


def _finish(tmp, path):
    """Rename now, or at the end of the enclosing all_or_nothing block."""
    pending = _PENDING.get()
    if pending is None or any(Path(path).is_relative_to(d) for d in _FILLING.get()):
        _move_into_place(tmp, path)
    else:
        pending.append((tmp, path))


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _prepare_parent(path, directory=False):
    """Create the output's folder; a path that cannot hold the output is bad input, named."""
    if not directory and path.is_dir():
        raise InputError(path, "the output is a directory; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next(p for p in [path.parent, *path.parent.parents] if p.exists() and not p.is_dir())
        raise InputError(path, f"cannot write here: {blocker} is a file, not a folder") from None
    except PermissionError:
        raise InputError(path, "cannot write here: permission denied") from None


def remove_stale_temporaries(path):
    """Delete `.NAME.*.tmp` left next to `path` by a killed writer (SIGKILL skips every clean-up), so that a
    resumed run leaves nothing half written behind. One job owns one output path, so none of them is live."""
    path = Path(path)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()


@contextlib.contextmanager
def atomic_open(path, mode="w", encoding="utf-8"):
    path = Path(path)
    _prepare_parent(path)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        kwargs = {} if "b" in mode else {"encoding": encoding}
        with open(tmp, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; results are meant to be shared
        _finish(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def write_text(path, text):
    with atomic_open(path) as handle:
        handle.write(text)


def write_json(path, obj):
    with atomic_open(path) as handle:
        json.dump(obj, handle, indent=2, sort_keys=True, ensure_ascii=False)
        handle.write("\n")


def write_jsonl(path, records):
    with atomic_open(path) as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


@contextlib.contextmanager
def atomic_directory(path, now=False):
    """Yield a temporary directory that replaces `path` only when the block succeeds (at once with `now`: for an
    output that the same command reads back, like the encoder its check embeds with)."""
    path = Path(path)
    _prepare_parent(path, directory=True)
    remove_stale_temporaries(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    filling = _FILLING.set((*_FILLING.get(), tmp))
    try:
        try:
            yield tmp
        finally:
            _FILLING.reset(filling)
        os.chmod(tmp, 0o777 & ~_umask())
        _move_into_place(tmp, path) if now else _finish(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
