"""Validation of an uploaded SCORM package (a zip), before anything is stored.

``validate_package`` refuses, each with a ``ValidationError`` in the request's language: a file that is not a
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
from django.utils.translation import gettext as _

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


def refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def validate_package(fileobj) -> PackageInfo:
    """Check an uploaded SCORM zip (any seekable binary file object); return what it holds."""
    size = _size_of(fileobj)
    max_upload = limit("SCORM_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)
    if size > max_upload:
        raise refuse(
            _("SCORM 包过大（%(size)s），上限为 %(limit)s。")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_upload)},
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
        raise refuse(_("文件不是有效的 zip 压缩包，或已损坏。"), "corrupt") from exc
    except NotImplementedError as exc:  # e.g. an unsupported compression method or encryption
        raise refuse(_("压缩包使用了不支持的压缩方式或加密。"), "corrupt") from exc
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
    bad = refuse(_("压缩包内的文件路径不安全：%(name)s") % {"name": name[:200]}, "unsafe_path")
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
            _("SCORM 包内文件过多（%(count)d 个），上限为 %(limit)d 个。")
            % {"count": len(infos), "limit": max_files},
            "too_many_files",
        )
    max_unpacked = limit("SCORM_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED_BYTES)
    max_ratio = limit("SCORM_MAX_COMPRESSION_RATIO", DEFAULT_MAX_COMPRESSION_RATIO)
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = safe_member_name(info.filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise refuse(_("压缩包内不允许符号链接：%(name)s") % {"name": name[:200]}, "symlink")
        if name in members:
            raise refuse(_("压缩包内有重复的文件：%(name)s") % {"name": name[:200]}, "duplicate")
        total += info.file_size
        if total > max_unpacked:
            raise refuse(
                _("SCORM 包解压后过大，上限为 %(limit)s。") % {"limit": filesizeformat(max_unpacked)},
                "too_large_unpacked",
            )
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > max_ratio * max(info.compress_size, 1):
            raise refuse(
                _("压缩包内文件压缩比异常（疑似压缩炸弹）：%(name)s") % {"name": name[:200]}, "zip_bomb"
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
            _(
                "SCORM 包的 imsmanifest.xml 应位于压缩包根目录，而不是“%(folder)s/”文件夹中；"
                "请在该文件夹内全选文件后重新压缩。"
            )
            % {"folder": folder},
            "no_manifest",
        )
    raise refuse(_("SCORM 包缺少 imsmanifest.xml。"), "no_manifest")


def _check_crcs(archive: zipfile.ZipFile) -> None:
    """Read every member once (sizes are already capped): a corrupt member is found now, at
    upload, and not halfway through an import."""
    bad = archive.testzip()
    if bad is not None:
        raise refuse(_("压缩包已损坏（%(name)s 校验失败）。") % {"name": bad[:200]}, "corrupt")


def _read_manifest(archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    if info.file_size > MAX_MANIFEST_BYTES:
        raise refuse(_("imsmanifest.xml 过大。"), "bad_manifest")
    data = archive.read(info)
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise refuse(
            _("imsmanifest.xml 含有 DTD 或实体声明，出于安全原因不予接受。"), "unsafe_manifest"
        ) from exc
    except (ParseError, ValueError) as exc:
        raise refuse(_("imsmanifest.xml 不是格式正确的 XML。"), "bad_manifest") from exc


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
        _("无法识别 SCORM 版本（schemaversion：“%(version)s”）；支持 SCORM 1.2 和 SCORM 2004。")
        % {"version": schema_version[:50]},
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
        raise _no_launch(_("imsmanifest.xml 没有 <resources>。"))
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
                _("条目“%(item)s”引用的资源不存在。") % {"item": _attr(item, "identifier")[:100]}
            )
    else:  # a package with no organization: its first SCO (or any resource with a file)
        launchable = [r for r in by_id.values() if _attr(r, "href")]
        scos = [r for r in launchable if _attr(r, "scormtype").lower() == "sco"]
        resource = (scos or launchable or [None])[0]
        if resource is None:
            raise _no_launch(_("imsmanifest.xml 中没有可启动的资源。"))
    return item, resource, resources, organization


def _no_launch(message: str) -> ValidationError:
    return refuse(message, "no_launch")


def _package_info(manifest, files: set[str], members: dict, sha256: str) -> PackageInfo:
    if _local(manifest.tag) != "manifest":
        raise refuse(_("imsmanifest.xml 的根元素不是 <manifest>。"), "bad_manifest")
    version = _version(manifest)
    item, resource, resources, organization = _launch(manifest)
    href = _attr(resource, "href")
    base = _attr(resources, "base") + _attr(resource, "base")
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        raise _no_launch(_("启动地址“%(href)s”指向外部网站；只支持包内的文件。") % {"href": href[:200]})
    relative = unquote(posixpath.join(base, parts.path))
    path = posixpath.normpath(relative) if relative else ""
    if path not in files:
        raise _no_launch(_("启动文件“%(path)s”不在压缩包中。") % {"path": path[:200]})
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
