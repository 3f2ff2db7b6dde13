"""What each warehouse summary was built from: the source files (path, size, modification time) or, for a
catalog table without files, its row count; kept as JSON in the summaries folder.

Files are listed through Spark's Hadoop file system, so a local folder, HDFS or an object store read alike.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from cxgap.errors import StoreError

# files Spark's writers and Delta leave beside the data, which hold no rows
_HIDDEN = ("_", ".")
MANIFEST = "manifest.json"
RETIRED = "retired"  # the manifest's list of data folders a newer refresh replaced, kept a while
# how long a replaced folder stays: a process that read an older manifest (a dashboard reads the lake as it
# was when it started) keeps its data files for a week
RETIRED_FOR = dt.timedelta(days=7)
_DATA_FOLDER = re.compile(r"[a-z_]+\.[0-9a-f]{12}")  # `<summary>.<id>`, as Summaries writes them

# one source's stamp: {"files": {path: [size, mtime]}} or {"rows": n}
Stamp = dict[str, Any]


class LakeFiles:
    """Spark's Hadoop file system for paths under the warehouse and the summaries folder."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._jvm = session.sparkContext._jvm
        self._conf = session.sparkContext._jsc.hadoopConfiguration()

    def _fs(self, path: str) -> tuple[Any, Any]:
        jpath = self._jvm.org.apache.hadoop.fs.Path(path)
        return jpath.getFileSystem(self._conf), jpath

    def listing(self, path: str, data_only: bool = True) -> dict[str, list[int]]:
        """Every file under `path` (recursively) with its size and modification time; with `data_only`,
        Spark's and Delta's side files (`_SUCCESS`, `.crc`, `_delta_log`) are left out."""
        fs, jpath = self._fs(path)
        if not fs.exists(jpath):
            return {}
        found: dict[str, list[int]] = {}
        files = fs.listFiles(jpath, True)
        while files.hasNext():
            status = files.next()
            full = status.getPath().toString()
            relative = full[len(fs.makeQualified(jpath).toString()) :].lstrip("/")
            if data_only and any(part.startswith(_HIDDEN) for part in relative.split("/")):
                continue
            found[full] = [int(status.getLen()), int(status.getModificationTime())]
        return found

    def folders(self, path: str) -> list[str]:
        """The folders directly under `path` (full paths)."""
        fs, jpath = self._fs(path)
        if not fs.exists(jpath):
            return []
        return [str(s.getPath().toString()) for s in fs.listStatus(jpath) if s.isDirectory()]

    def exists(self, path: str) -> bool:
        """Whether `path` exists."""
        fs, jpath = self._fs(path)
        return bool(fs.exists(jpath))

    def is_file(self, path: str) -> bool:
        """Whether `path` is one file (not a folder)."""
        fs, jpath = self._fs(path)
        return bool(fs.exists(jpath)) and bool(fs.getFileStatus(jpath).isFile())

    def make_folder(self, path: str) -> None:
        """Create a folder (and its parents) unless it is there; one sentence when Spark cannot."""
        fs, jpath = self._fs(path)
        try:
            made = bool(fs.exists(jpath)) or bool(fs.mkdirs(jpath))
        except Exception as error:  # the JVM's IO errors: permission, missing mount, read-only store
            raise not_writable(path, error) from None
        if not made:
            raise not_writable(path, PermissionError("the folder cannot be created"))

    def delete(self, path: str) -> None:
        """Remove a folder (or file) and everything under it."""
        fs, jpath = self._fs(path)
        fs.delete(jpath, True)

    def read_text(self, path: str) -> str | None:
        """A small text file's content, None when it does not exist."""
        if not self.exists(path):
            return None
        fs, jpath = self._fs(path)
        stream = fs.open(jpath)
        try:
            return bytes(stream.readAllBytes()).decode("utf-8")
        finally:
            stream.close()

    def write_text(self, path: str, text: str) -> None:
        """Write a small text file (replacing it)."""
        fs, jpath = self._fs(path)
        try:
            stream = fs.create(jpath, True)
            stream.write(bytearray(text.encode("utf-8")))
            stream.close()
        except Exception as error:  # the JVM's IO errors: permission, missing mount, read-only store
            raise not_writable(path, error) from None


def not_writable(folder: str, error: Exception) -> StoreError:
    """The one sentence for a summaries folder Spark cannot write."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return StoreError(
        f"The warehouse summaries cannot be written to {folder} ({first[:200]}); set [engine] summaries "
        "to a folder Spark can write."
    )


def read_manifest(files: LakeFiles, folder: str) -> dict[str, Any]:
    """The manifest of a summaries folder (empty when there is none or it cannot be parsed)."""
    text = files.read_text(f"{folder}/{MANIFEST}")
    if not text:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def write_manifest(files: LakeFiles, folder: str, manifest: dict[str, Any]) -> None:
    """Replace the manifest of a summaries folder."""
    files.write_text(f"{folder}/{MANIFEST}", json.dumps(manifest, indent=1, sort_keys=True))


def retire(manifest: dict[str, Any], old: str, now: dt.datetime, delete: Callable[[str], None]) -> None:
    """Set the summary data folder `old` aside instead of deleting it, and delete the folders retired more
    than RETIRED_FOR ago: another process (a dashboard, a scheduled `analyze`) may still be reading the
    folder its own refresh chose, and Spark reads files lazily."""
    kept: list[dict[str, str]] = []
    for entry in manifest.get(RETIRED, []):
        since = dt.datetime.fromisoformat(str(entry.get("since")))
        if now - since > RETIRED_FOR:
            delete(str(entry["data"]))
        else:
            kept.append(entry)
    kept.append({"data": old, "since": now.isoformat()})
    manifest[RETIRED] = kept


def sweep_orphans(files: LakeFiles, folder: str, manifest: dict[str, Any], now: dt.datetime) -> list[str]:
    """Delete the summary data folders the manifest does not name (neither current nor retired) whose
    newest file is older than RETIRED_FOR: what two refreshes at the same moment leave (both build, the
    manifest keeps the last). A folder written within the week is left alone, as a refresh still running
    may be about to name it. The folders deleted."""
    entries = [entry for entry in manifest.values() if isinstance(entry, dict)] + manifest.get(RETIRED, [])
    named_tails = {str(entry.get("data", "")).rstrip("/").rsplit("/", 1)[-1] for entry in entries}
    cutoff = (now - RETIRED_FOR).timestamp() * 1000
    swept = []
    for path in files.folders(folder):
        tail = path.rstrip("/").rsplit("/", 1)[-1]
        if not _DATA_FOLDER.fullmatch(tail) or tail in named_tails:
            continue
        times = [mtime for _, mtime in files.listing(path, data_only=False).values()]
        if times and max(times) < cutoff:
            files.delete(path)
            swept.append(path)
    return swept


def gained_only(old: Stamp, new: Stamp) -> bool:
    """Whether a source only gained files since `old` (every old file still there, unchanged)."""
    if "files" not in old or "files" not in new:
        return False
    return all(new["files"].get(path) == stamp for path, stamp in old["files"].items())


def new_files(old: Stamp, new: Stamp) -> list[str]:
    """The files a source gained since `old`, in a stable order."""
    return sorted(set(new["files"]) - set(old["files"]))
