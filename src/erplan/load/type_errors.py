"""Stage 2 of loading, part 1: pydantic's validation errors as coded findings.

Each error's location is walked along the model's types, so that the finding names the value
as the file writes it (``wan[0].between``), points at it (or at its key), and says what was
expected in the format's words, not pydantic's.
"""

from __future__ import annotations

import ipaddress
import re
from enum import Enum
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from erplan.diagnostics import Finding, Severity
from erplan.load.source import ObjectPath, SourceMap, describe, dotted
from erplan.model import Design
from erplan.names import did_you_mean

__all__ = ["pydantic_findings"]


def _strip(tp: Any) -> Any:
    """Annotated[X, ...] -> X; Optional[X] -> X (None is handled by pydantic's message)."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
            continue
        if origin in (Union, UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _union_tag(tp: Any) -> str:
    tp = _strip(tp)
    return tp.__name__ if isinstance(tp, type) else str(tp)


def _descend(tp: Any, part: str | int) -> tuple[Any, bool]:
    """The type one step down ``part``; the flag says the step was a union tag (not data)."""
    tp = _strip(tp)
    origin = get_origin(tp)
    if origin in (Union, UnionType):
        for member in get_args(tp):
            if _union_tag(member) == part:
                return _strip(member), True
        return None, False
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        f = tp.model_fields.get(str(part))
        return (f.annotation, False) if f is not None else (None, False)
    if origin is dict:
        return get_args(tp)[1], False
    if origin is list:
        return get_args(tp)[0], False
    if origin is tuple:
        args = get_args(tp)
        if isinstance(part, int) and part < len(args):
            return args[part], False
    return None, False


def _walk(loc: tuple[str | int, ...]) -> tuple[ObjectPath, Any, bool, bool]:
    """(data path without union tags, the type at the end, crossed a union, ends on a key)."""
    tp: Any = Design
    path: list[str | int] = []
    crossed = False
    is_key = False
    for part in loc:
        if part == "[key]":
            is_key = True
            continue
        nxt, tag = _descend(tp, part)
        if tag:
            crossed = True
        else:
            path.append(part)
        tp = nxt
    return tuple(path), tp, crossed, is_key


def _get(data: Any, path: ObjectPath) -> Any:
    for part in path:
        if isinstance(data, dict):
            if part not in data:
                return None
        elif not (isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)):
            return None
        data = data[part]
    return data


def _network_message(value: Any) -> str:
    text = str(value)
    try:
        ipaddress.IPv4Network(text)
    except ValueError as exc:
        try:
            net = ipaddress.IPv4Network(text, strict=False)
        except ValueError:
            reason = str(exc)
            m = re.fullmatch(r"'(\d+)' is not a valid netmask", reason)
            if m and int(m.group(1)) > 32:
                reason = f"prefix length {m.group(1)} is out of range (0-32)"
            elif not re.fullmatch(r"[0-9./]+", text) or not reason:
                reason = "expected an IPv4 prefix such as 192.0.2.0/24"
            else:
                reason = reason[0].lower() + reason[1:]
            return f"{describe(value)} is not a valid IPv4 prefix: {reason}"
        return f"{text} has host bits set; did you mean {net}?"
    return f"{describe(value)} is not a valid IPv4 prefix"  # pragma: no cover - parsed fine


def _address_message(value: Any) -> str:
    try:
        ipaddress.IPv4Address(str(value))
    except ValueError as exc:
        reason = str(exc)
        if not re.fullmatch(r"[0-9.]+", str(value)):
            reason = "expected an IPv4 address such as 192.0.2.10"
        else:
            reason = reason[0].lower() + reason[1:]
        return f"{describe(value)} is not a valid IPv4 address: {reason}"
    return f"{describe(value)} is not a valid IPv4 address"  # pragma: no cover


def pydantic_findings(
    exc: ValidationError,
    data: dict[str, Any],
    source: SourceMap,
    reported: set[ObjectPath],
) -> list[Finding]:
    out: list[Finding] = []
    union_done: set[ObjectPath] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path, tp, crossed, is_key = _walk(loc)
        if any(path[: len(r)] == r for r in reported):
            continue  # the composer already reported this value (bad tag, duplicate...)
        etype = err["type"]
        value = err.get("input")
        ctx = err.get("ctx") or {}
        if crossed:
            # A union (a place: a name or {lat, lon}): keep the branch the value's shape chose.
            upath = _union_path(loc)
            raw = _get(data, upath)
            if isinstance(raw, dict) and "LatLon" not in loc:
                continue
            if not isinstance(raw, dict):
                if upath in union_done:
                    continue
                union_done.add(upath)
                out.append(
                    Finding(
                        "ERP012",
                        Severity.ERROR,
                        f"{dotted(upath)}: expected a place name or {{lat, lon}}, "
                        f"got {describe(raw)}",
                        source.where(upath),
                    )
                )
                continue
        out.append(_finding_for(etype, path, tp, value, ctx, err["msg"], source, is_key))
    return out


def _union_path(loc: tuple[str | int, ...]) -> ObjectPath:
    """The data path up to (not including) the first union tag of ``loc``."""
    tp: Any = Design
    path: list[str | int] = []
    for part in loc:
        nxt, tag = _descend(tp, part)
        if tag:
            break
        path.append(part)
        tp = nxt
    return tuple(path)


def _finding_for(
    etype: str,
    path: ObjectPath,
    tp: Any,
    value: Any,
    ctx: dict[str, Any],
    msg: str,
    source: SourceMap,
    is_key: bool,
) -> Finding:
    where = source.where(path)
    subject = dotted(path)
    code = "ERP012"
    if etype == "extra_forbidden":
        parent_tp = _walk_type(path[:-1])
        fields = (
            list(parent_tp.model_fields)
            if isinstance(parent_tp, type) and issubclass(parent_tp, BaseModel)
            else []
        )
        key = str(path[-1])
        message = f"unknown key {key!r} in {dotted(path[:-1])}{did_you_mean(key, fields)}"
        return Finding("ERP010", Severity.ERROR, message, source.key_where(path), subject=subject)
    if etype == "missing" and path and isinstance(path[-1], int):  # a short fixed-size list
        parent = path[:-1]
        parent_tp = _walk_type(parent)
        size = len(get_args(parent_tp)) if get_origin(parent_tp) is tuple else path[-1] + 1
        count = len(value) if isinstance(value, list | tuple) else path[-1]
        message = f"{dotted(parent)}: expected exactly {size} items, got {count}"
        return Finding("ERP012", Severity.ERROR, message, source.where(parent), subject=subject)
    if etype == "missing":
        parent = path[:-1]
        message = f"missing required key {path[-1]!r} in {dotted(parent)}"
        loc = source.key_where(parent) if parent else source.where(())
        return Finding("ERP011", Severity.ERROR, message, loc, subject=dotted(parent))
    if etype in ("ip_v4_network", "ip_any_network"):
        code, message = "ERP013", _network_message(value)
    elif etype in ("ip_v4_address", "ip_any_address"):
        code, message = "ERP013", _address_message(value)
    elif etype in ("int_parsing", "int_type", "int_from_float"):
        message = f"expected an integer, got {describe(value)}"
    elif etype in ("float_parsing", "float_type"):
        message = f"expected a number, got {describe(value)}"
    elif etype == "finite_number":
        message = f"expected a finite number, got {describe(value)}"
    elif etype in ("bool_parsing", "bool_type"):
        message = f"expected true or false, got {describe(value)}"
    elif etype in ("string_type", "string_unicode"):
        message = f"expected text, got {describe(value)}"
    elif etype in ("list_type", "tuple_type"):
        example = f" such as [{value}]" if isinstance(value, str | int) else ""
        message = f"expected a list{example}, got {describe(value)}"
    elif etype in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        message = f"expected a mapping, got {describe(value)}"
    elif etype in ("too_short", "too_long"):
        want = ctx.get("min_length", ctx.get("max_length"))
        if get_origin(_strip(tp)) is tuple:
            want = len(get_args(_strip(tp)))
        got = ctx.get("actual_length")
        message = f"expected exactly {want} items, got {got}"
        if etype == "too_short" and get_origin(_strip(tp)) is not tuple:
            message = f"expected at least {ctx.get('min_length')} items, got {got}"
        elif etype == "too_long" and get_origin(_strip(tp)) is not tuple:
            message = f"expected at most {ctx.get('max_length')} items, got {got}"
    elif etype in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        code = "ERP014"
        bound = {
            "greater_than_equal": ("at least", "ge"),
            "greater_than": ("greater than", "gt"),
            "less_than_equal": ("at most", "le"),
            "less_than": ("less than", "lt"),
        }[etype]
        message = f"must be {bound[0]} {describe(ctx.get(bound[1]))}, got {describe(value)}"
    elif etype == "enum":
        code = "ERP014"
        choices = [e.value for e in tp] if isinstance(tp, type) and issubclass(tp, Enum) else []
        if not choices:  # a mapping key: the type walked is the value's, pydantic names the keys
            choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = did_you_mean(str(value), choices) if isinstance(value, str) else ""
        message = f"expected one of {', '.join(choices)}; got {describe(value)}{hint}"
    else:
        message = msg[0].lower() + msg[1:] if msg else etype
    if is_key:  # a bad mapping key (a prepend prefix...): point at the key itself
        where = source.key_where(path)
        message = f"key {message}"
    return Finding(code, Severity.ERROR, f"{subject}: {message}", where, subject=subject)


def _walk_type(path: ObjectPath) -> Any:
    tp: Any = Design
    for part in path:
        tp, _ = _descend(tp, part)
        if tp is None:
            return None
    return _strip(tp)
