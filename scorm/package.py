"""Validation of an uploaded SCORM package (a zip), before anything is stored.

``validate_package`` refuses, each with a bilingual ``ValidationError``: a file that is not a
readable zip, one over the size caps (upload, unpacked total, file count, per-member compression
ratio: zip bombs), members whose names could escape the package's folder (absolute paths, drive
letters, ``..``, backslash tricks) or that are symlinks, a missing or unsafe ``imsmanifest.xml``
(parsed with defusedxml, no DTD or entities), an unknown SCORM version and a launch file that is
not in the zip. It returns a ``PackageInfo`` that the import reuses.
"""

import hashlib
import posixpath
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

MANIFEST = "imsmanifest.xml"
DEFAULT_MAX_UPLOAD_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
DEFAULT_MAX_FILES = 5000
DEFAULT_MAX_COMPRESSION_RATIO = 200
MAX_MANIFEST_BYTES = 5 * 1024 * 1024
# A member this small is never treated as a bomb, whatever its ratio (e.g. a blank text file).
RATIO_FLOOR_BYTES = 1024 * 1024

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def limit(name: str, default: int) -> int:
    """A cap from settings (e.g. ``SCORM_MAX_UPLOAD_BYTES``), with its default."""
    return int(getattr(settings, name, default))


@dataclass(frozen=True)
class PackageInfo:
    version: str  # "1.2" or "2004"
    title: str
    launch: str  # path of the launch file inside the package, with the item's parameters
    identifier: str
    sha256: str
    file_count: int
    total_size: int
    mastery_score: str = ""
    launch_data: str = ""
    files: tuple[str, ...] = field(default=(), repr=False)  # normalised member names
    members: dict[str, str] = field(default_factory=dict, repr=False)  # normalised → zip name


def refuse(chinese: str, english: str, code: str) -> ValidationError:
    return ValidationError(f"{chinese}{english}", code=code)


def validate_package(fileobj) -> PackageInfo:
    """Check an uploaded SCORM zip (any seekable binary file object); return what it holds."""
    size = _size_of(fileobj)
    max_upload = limit("SCORM_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)
    if size > max_upload:
        raise refuse(
            f"SCORM 包过大（{filesizeformat(size)}），上限为 {filesizeformat(max_upload)}。",
            f"The SCORM package is too large ({size} bytes); the limit is {max_upload} bytes.",
            "too_large",
        )
    sha256 = _sha256_of(fileobj)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            members = _check_members(archive.infolist())
            manifest_name = _manifest_name(members)
            _check_crcs(archive)
            manifest = _read_manifest(archive, members[manifest_name])
    except ValidationError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise refuse(
            "文件不是有效的 zip 压缩包，或已损坏。",
            "The file is not a valid zip archive, or it is corrupt.",
            "corrupt",
        ) from exc
    except NotImplementedError as exc:  # e.g. an unsupported compression method or encryption
        raise refuse(
            "压缩包使用了不支持的压缩方式或加密。",
            "The zip uses an unsupported compression method or encryption.",
            "corrupt",
        ) from exc
    finally:
        fileobj.seek(0)
    files = {name for name in members if not name.endswith("/")}
    return _package_info(manifest, files, members, sha256)


def _size_of(fileobj) -> int:
    size = getattr(fileobj, "size", None)
    if size is None:
        fileobj.seek(0, 2)
        size = fileobj.tell()
    fileobj.seek(0)
    return size


def _sha256_of(fileobj) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def safe_member_name(name: str) -> str:
    """The member's path inside the package, with forward slashes; ValidationError if it could
    land outside the package's folder once unpacked (on any storage or operating system)."""
    bad = refuse(
        f"压缩包内的文件路径不安全：{name[:200]}",
        f"The zip holds a member with an unsafe path: {name[:200]}",
        "unsafe_path",
    )
    if not name or _CONTROL.search(name) or name.startswith(("/", "\\")) or _DRIVE.match(name):
        raise bad
    # Zips made on Windows sometimes use backslashes as separators: read them as such, so that
    # "a\..\..\x" is caught like "a/../../x".
    normalised = name.replace("\\", "/")
    parts = normalised.rstrip("/").split("/")
    if any(part in ("..", ".") for part in parts) or "" in parts:
        raise bad
    return normalised


def _check_members(infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
    max_files = limit("SCORM_MAX_FILES", DEFAULT_MAX_FILES)
    if len(infos) > max_files:
        raise refuse(
            f"SCORM 包内文件过多（{len(infos)} 个），上限为 {max_files} 个。",
            f"The SCORM package holds too many files ({len(infos)}); the limit is {max_files}.",
            "too_many_files",
        )
    max_unpacked = limit("SCORM_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED_BYTES)
    max_ratio = limit("SCORM_MAX_COMPRESSION_RATIO", DEFAULT_MAX_COMPRESSION_RATIO)
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = safe_member_name(info.filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise refuse(
                f"压缩包内不允许符号链接：{name[:200]}",
                f"The zip holds a symbolic link, which is not allowed: {name[:200]}",
                "symlink",
            )
        if name in members:
            raise refuse(
                f"压缩包内有重复的文件：{name[:200]}",
                f"The zip holds the same file twice: {name[:200]}",
                "duplicate",
            )
        total += info.file_size
        if total > max_unpacked:
            raise refuse(
                f"SCORM 包解压后过大，上限为 {filesizeformat(max_unpacked)}。",
                f"The SCORM package unpacks to more than {max_unpacked} bytes.",
                "too_large_unpacked",
            )
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > max_ratio * max(info.compress_size, 1):
            raise refuse(
                f"压缩包内文件压缩比异常（疑似压缩炸弹）：{name[:200]}",
                f"A member of the zip is compressed suspiciously well (a zip bomb?): {name[:200]}",
                "zip_bomb",
            )
        members[name] = info
    return members


def _manifest_name(members: dict[str, zipfile.ZipInfo]) -> str:
    for name in members:
        if name.lower() == MANIFEST:
            return name
    nested = next((name for name in members if name.lower().endswith("/" + MANIFEST)), None)
    if nested:
        folder = nested.rsplit("/", 1)[0]
        raise refuse(
            f"SCORM 包的 imsmanifest.xml 应位于压缩包根目录，而不是“{folder}/”文件夹中；请在该文件夹内全选文件后重新压缩。",
            f"The SCORM package's imsmanifest.xml must be at the zip's root, not in the folder "
            f'"{folder}/"; zip the contents of that folder instead.',
            "no_manifest",
        )
    raise refuse(
        "SCORM 包缺少 imsmanifest.xml。",
        "The SCORM package has no imsmanifest.xml at its root.",
        "no_manifest",
    )


def _check_crcs(archive: zipfile.ZipFile) -> None:
    """Read every member once (sizes are already capped): a corrupt member is found now, at
    upload, and not halfway through an import."""
    bad = archive.testzip()
    if bad is not None:
        raise refuse(
            f"压缩包已损坏（{bad[:200]} 校验失败）。",
            f"The zip is corrupt (the checksum of {bad[:200]} does not match).",
            "corrupt",
        )


def _read_manifest(archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    if info.file_size > MAX_MANIFEST_BYTES:
        raise refuse(
            "imsmanifest.xml 过大。",
            "imsmanifest.xml is too large.",
            "bad_manifest",
        )
    data = archive.read(info)
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise refuse(
            "imsmanifest.xml 含有 DTD 或实体声明，出于安全原因不予接受。",
            "imsmanifest.xml declares a DTD or entities, which are refused for safety.",
            "unsafe_manifest",
        ) from exc
    except (ParseError, ValueError) as exc:
        raise refuse(
            "imsmanifest.xml 不是格式正确的 XML。",
            "imsmanifest.xml is not well-formed XML.",
            "bad_manifest",
        ) from exc


# --- Manifest reading (namespace-agnostic: packages use several namespace versions) ----------


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element, name: str) -> list:
    return [child for child in element if _local(child.tag) == name]


def _child(element, name: str):
    found = _children(element, name)
    return found[0] if found else None


def _text(element, name: str) -> str:
    child = _child(element, name) if element is not None else None
    return (child.text or "").strip() if child is not None else ""


def _attr(element, name: str) -> str:
    """An attribute by local name, whatever its namespace (adlcp:scormtype, xml:base, ...)."""
    for key, value in element.attrib.items():
        if _local(key).lower() == name.lower():
            return value.strip()
    return ""


def _version(manifest) -> str:
    schema_version = _text(_child(manifest, "metadata"), "schemaversion")
    if schema_version == "1.2":
        return "1.2"
    if schema_version.startswith("2004") or schema_version == "CAM 1.3":
        return "2004"
    namespaces = " ".join(str(element.tag) for element in manifest.iter()) + " ".join(
        str(key) for element in manifest.iter() for key in element.attrib
    )
    if "adlcp_rootv1p2" in namespaces:
        return "1.2"
    if "adlcp_v1p3" in namespaces or "imsss" in namespaces:
        return "2004"
    raise refuse(
        f"无法识别 SCORM 版本（schemaversion：“{schema_version[:50]}”）；支持 SCORM 1.2 和 SCORM 2004。",
        f'Unknown SCORM version (schemaversion "{schema_version[:50]}"); SCORM 1.2 and 2004 are supported.',
        "unknown_version",
    )


def _first_item(element):
    """Depth-first, the first item that points at a resource."""
    for item in _children(element, "item"):
        if _attr(item, "identifierref"):
            return item
        inner = _first_item(item)
        if inner is not None:
            return inner
    return None


def _launch(manifest):
    """(item, resource, organization) of the default organization's first launchable item."""
    organizations = _child(manifest, "organizations")
    resources = _child(manifest, "resources")
    if resources is None:
        raise _no_launch("imsmanifest.xml 没有 <resources>。", "imsmanifest.xml has no <resources>.")
    by_id = {_attr(r, "identifier"): r for r in _children(resources, "resource")}
    organization = item = None
    if organizations is not None:
        candidates = _children(organizations, "organization")
        default = _attr(organizations, "default")
        organization = next((o for o in candidates if _attr(o, "identifier") == default), None)
        organization = organization if organization is not None else (candidates or [None])[0]
        item = _first_item(organization) if organization is not None else None
    if item is not None:
        resource = by_id.get(_attr(item, "identifierref"))
        if resource is None:
            raise _no_launch(
                f"条目“{_attr(item, 'identifier')[:100]}”引用的资源不存在。",
                f'The item "{_attr(item, "identifier")[:100]}" points at a resource that does not exist.',
            )
    else:  # a package with no organization: its first SCO (or any resource with a file)
        launchable = [r for r in by_id.values() if _attr(r, "href")]
        scos = [r for r in launchable if _attr(r, "scormtype").lower() == "sco"]
        resource = (scos or launchable or [None])[0]
        if resource is None:
            raise _no_launch(
                "imsmanifest.xml 中没有可启动的资源。", "imsmanifest.xml names no launchable resource."
            )
    return item, resource, resources, organization


def _no_launch(chinese: str, english: str) -> ValidationError:
    return refuse(chinese, english, "no_launch")


def _package_info(manifest, files: set[str], members: dict, sha256: str) -> PackageInfo:
    if _local(manifest.tag) != "manifest":
        raise refuse(
            "imsmanifest.xml 的根元素不是 <manifest>。",
            "The root element of imsmanifest.xml is not <manifest>.",
            "bad_manifest",
        )
    version = _version(manifest)
    item, resource, resources, organization = _launch(manifest)
    href = _attr(resource, "href")
    base = _attr(resources, "base") + _attr(resource, "base")
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        raise _no_launch(
            f"启动地址“{href[:200]}”指向外部网站；只支持包内的文件。",
            f'The launch address "{href[:200]}" is external; only files inside the package are supported.',
        )
    relative = unquote(posixpath.join(base, parts.path))
    path = posixpath.normpath(relative) if relative else ""
    if path not in files:
        raise _no_launch(
            f"启动文件“{path[:200]}”不在压缩包中。",
            f'The launch file "{path[:200]}" is not in the zip.',
        )
    query = parts.query
    parameters = _attr(item, "parameters") if item is not None else ""
    if parameters:  # IMS CP: the item's parameters are appended to the launch URL
        parameters = parameters.lstrip("?&")
        query = f"{query}&{parameters}" if query else parameters
    launch = path + (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")
    title = (
        (_text(organization, "title") if organization is not None else "")
        or (_text(item, "title") if item is not None else "")
        or _attr(manifest, "identifier")
        or "SCORM"
    )
    mastery = _text(item, "masteryscore") if item is not None else ""
    launch_data = (_text(item, "datafromlms") or _text(item, "dataFromLMS")) if item is not None else ""
    return PackageInfo(
        version=version,
        title=title[:255],
        launch=launch,
        identifier=_attr(manifest, "identifier")[:255],
        sha256=sha256,
        file_count=len(files),
        total_size=sum(members[name].file_size for name in files),
        mastery_score=mastery[:10],
        launch_data=launch_data[:4096],
        files=tuple(sorted(files)),
        members={name: members[name].filename for name in files},
    )
