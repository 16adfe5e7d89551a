"""Read what a pickle describes without unpickling it.

A torch checkpoint's ``data.pkl`` is a program for Python's pickle machine; loading
it runs whatever imports it names. Here its opcodes (from ``pickletools.genops``,
which only decodes them) drive a tiny symbolic stack machine that builds plain
containers and inert placeholders: a global becomes a :class:`Global` name, a call
becomes a :class:`Call` record — nothing is imported or called. That is enough to
recover a state dict's tensor names and shapes (for architecture inference) and
plain fields such as an embedding's ``sd_checkpoint``. Security verdicts on the
imports come from ``picklescan``; this walk only describes.

Hand-written because no maintained library describes a pickle's object graph
without executing it (fickling does, but is LGPL-3.0; tutela is Apache-2.0).
"""

from __future__ import annotations

import pickletools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from tutela.models.safetensors import TensorInfo


@dataclass(frozen=True)
class Global:
    module: str
    name: str

    def __str__(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(eq=False)
class Call:
    """``func(*args)`` as the pickle asks for it — recorded, never performed."""

    func: Any
    args: Any
    state: Any = None
    items: dict[Any, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Persistent:
    """A persistent id: torch uses it for tensor storages kept outside the pickle."""

    pid: Any


@dataclass(frozen=True)
class Blob:
    """Raw bytes in the pickle; only the length is kept."""

    length: int


class WalkError(Exception):
    pass


class TooManyOps(WalkError):
    """The pickle has more opcodes than the limit; the rest was not read."""


@dataclass
class Walk:
    """The result: the top object, every global named, and how far the walk got."""

    root: Any
    globals: list[Global]
    ops: int
    end: int
    """Byte offset just after the STOP opcode."""


_MARK = object()
_DICT_FACTORIES = {("collections", "OrderedDict"), ("builtins", "dict"), ("__builtin__", "dict")}
_STRING_OPS = {
    "STRING",
    "BINSTRING",
    "SHORT_BINSTRING",
    "UNICODE",
    "BINUNICODE",
    "SHORT_BINUNICODE",
    "BINUNICODE8",
}
_CONST_OPS = _STRING_OPS | {
    "INT",
    "BININT",
    "BININT1",
    "BININT2",
    "LONG",
    "LONG1",
    "LONG4",
    "FLOAT",
    "BINFLOAT",
}


def walk(stream: IO[bytes], max_ops: int) -> Walk:
    """Walk one pickle (up to its STOP) from ``stream``; raise :class:`WalkError` if malformed."""
    machine = _Machine()
    ops = 0
    try:
        for opcode, arg, pos in pickletools.genops(stream):
            ops += 1
            if ops > max_ops:
                raise TooManyOps(f"more than {max_ops:,} opcodes")
            if opcode.name == "STOP":
                return Walk(machine.pop(), machine.globals, ops, stream.tell())
            machine.step(opcode.name, arg, pos)
    except WalkError:
        raise
    except (ValueError, IndexError, KeyError, TypeError, EOFError, RecursionError) as exc:
        raise WalkError(f"malformed pickle: {exc}") from exc
    raise WalkError("pickle ends without a STOP opcode")


class _Machine:
    def __init__(self) -> None:
        self.stack: list[Any] = []
        self.marks: list[list[Any]] = []
        self.memo: dict[int, Any] = {}
        self.globals: list[Global] = []

    def pop(self) -> Any:
        if not self.stack:
            raise WalkError("stack underflow")
        return self.stack.pop()

    def pop_mark(self) -> list[Any]:
        if not self.marks:
            raise WalkError("no MARK to pop to")
        items = self.stack
        self.stack = self.marks.pop()
        return items

    def global_(self, module: str, name: str) -> None:
        found = Global(str(module), str(name))
        self.globals.append(found)
        self.stack.append(found)

    def step(self, op: str, arg: Any, pos: int | None) -> None:
        stack = self.stack
        if op in ("PROTO", "FRAME"):
            return
        if op in _CONST_OPS:
            stack.append(arg)
        elif op in ("BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8"):
            stack.append(Blob(len(arg)))
        elif op == "NONE":
            stack.append(None)
        elif op in ("NEWTRUE", "NEWFALSE"):
            stack.append(op == "NEWTRUE")
        elif op == "MARK":
            self.marks.append(stack)
            self.stack = []
        elif op == "POP":
            self.pop()
        elif op == "POP_MARK":
            self.pop_mark()
        elif op == "DUP":
            stack.append(stack[-1])
        elif op in ("EMPTY_DICT",):
            stack.append({})
        elif op == "EMPTY_LIST":
            stack.append([])
        elif op == "EMPTY_TUPLE":
            stack.append(())
        elif op in ("EMPTY_SET",):
            stack.append([])
        elif op in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(op[-1])
            if len(stack) < n:
                raise WalkError("stack underflow")
            packed = tuple(stack[-n:])
            del stack[-n:]
            stack.append(packed)
        elif op == "TUPLE":
            # pop_mark() replaces self.stack: take the items before touching the new stack
            items = self.pop_mark()
            self.stack.append(tuple(items))
        elif op in ("LIST", "FROZENSET"):
            items = self.pop_mark()
            self.stack.append(items)
        elif op == "DICT":
            items = self.pop_mark()
            self.stack.append(_pairs(items))
        elif op == "SETITEM":
            value, key = self.pop(), self.pop()
            _set(self.stack[-1], key, value)
        elif op == "SETITEMS":
            items = self.pop_mark()
            target = self.stack[-1]
            for key, value in _pairs(items).items():
                _set(target, key, value)
        elif op == "APPEND":
            value = self.pop()
            _append(self.stack[-1], [value])
        elif op in ("APPENDS", "ADDITEMS"):
            items = self.pop_mark()
            _append(self.stack[-1], items)
        elif op == "GLOBAL":
            module, _, name = str(arg).partition(" ")
            self.global_(module, name)
        elif op == "STACK_GLOBAL":
            name, module = self.pop(), self.pop()
            self.global_(str(module), str(name))
        elif op == "INST":
            module, _, name = str(arg).partition(" ")
            found = Global(module, name)
            self.globals.append(found)
            items = self.pop_mark()
            self.stack.append(Call(found, tuple(items)))
        elif op == "OBJ":
            items = self.pop_mark()
            if not items:
                raise WalkError("OBJ without a class")
            self.stack.append(Call(items[0], tuple(items[1:])))
        elif op in ("REDUCE", "NEWOBJ"):
            args, func = self.pop(), self.pop()
            self.stack.append(_call(func, args))
        elif op == "NEWOBJ_EX":
            _kwargs, args, func = self.pop(), self.pop(), self.pop()
            self.stack.append(_call(func, args))
        elif op == "BUILD":
            state = self.pop()
            target = self.stack[-1]
            if isinstance(target, Call):
                target.state = state
        elif op in ("PUT", "BINPUT", "LONG_BINPUT"):
            self.memo[int(arg)] = self.stack[-1]
        elif op == "MEMOIZE":
            self.memo[len(self.memo)] = self.stack[-1]
        elif op in ("GET", "BINGET", "LONG_BINGET"):
            if int(arg) not in self.memo:
                raise WalkError(f"memo key {arg} read before it was written")
            self.stack.append(self.memo[int(arg)])
        elif op in ("PERSID", "BINPERSID"):
            pid = arg if op == "PERSID" else self.pop()
            self.stack.append(Persistent(pid))
        elif op in ("EXT1", "EXT2", "EXT4"):
            self.global_("copyreg", f"extension {arg}")
        elif op in ("NEXT_BUFFER", "READONLY_BUFFER"):
            if op == "NEXT_BUFFER":
                self.stack.append(Blob(0))
        else:
            raise WalkError(f"unsupported opcode {op} at byte {pos}")


def _hashable(key: Any) -> Any:
    try:
        hash(key)
    except TypeError:
        return repr(key)[:200]
    return key


def _pairs(items: list[Any]) -> dict[Any, Any]:
    if len(items) % 2:
        raise WalkError("odd number of items for a dict")
    return {_hashable(items[i]): items[i + 1] for i in range(0, len(items), 2)}


def _set(target: Any, key: Any, value: Any) -> None:
    if isinstance(target, dict):
        target[_hashable(key)] = value
    elif isinstance(target, Call):
        target.items[_hashable(key)] = value


def _append(target: Any, values: list[Any]) -> None:
    if isinstance(target, list):
        target.extend(values)


def _call(func: Any, args: Any) -> Any:
    """Containers built by calling ``OrderedDict``/``dict`` stay plain dicts; the rest is inert."""
    if isinstance(func, Global) and (func.module, func.name) in _DICT_FACTORIES:
        return {}
    return Call(func, args)


# -- reading torch structures out of a walk ------------------------------------------

_STORAGE_DTYPES = {
    "FloatStorage": "F32",
    "HalfStorage": "F16",
    "BFloat16Storage": "BF16",
    "DoubleStorage": "F64",
    "LongStorage": "I64",
    "IntStorage": "I32",
    "ShortStorage": "I16",
    "CharStorage": "I8",
    "ByteStorage": "U8",
    "BoolStorage": "BOOL",
}


def as_tensor(value: Any, name: str) -> TensorInfo | None:
    """A ``torch._utils._rebuild_tensor*`` / ``_rebuild_parameter*`` call, as a description."""
    if not isinstance(value, Call) or not isinstance(value.func, Global):
        return None
    func = value.func
    args = value.args if isinstance(value.args, tuple) else ()
    if func.module == "torch._utils" and func.name.startswith("_rebuild_parameter") and args:
        return as_tensor(args[0], name)
    if func.module != "torch._utils" or not func.name.startswith("_rebuild_tensor"):
        return None
    if len(args) < 3 or not isinstance(args[2], tuple):
        return None
    shape = tuple(d for d in args[2] if isinstance(d, int))
    dtype = "unknown"
    storage = args[0]
    if isinstance(storage, Persistent) and isinstance(storage.pid, tuple) and len(storage.pid) > 1:
        kind = storage.pid[1]
        if isinstance(kind, Global):
            dtype = _STORAGE_DTYPES.get(kind.name, kind.name)
    return TensorInfo(name, dtype, shape)


def iter_tensors(root: Any, limit: int = 1_000_000) -> Iterator[TensorInfo]:
    """Every tensor reachable through nested dicts, named by dotted key paths."""
    seen: set[int] = set()
    todo: list[tuple[str, Any]] = [("", root)]
    found = 0
    while todo and found < limit:
        prefix, value = todo.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        tensor = as_tensor(value, prefix)
        if tensor is not None:
            found += 1
            yield tensor
            continue
        children = value.items if isinstance(value, Call) else value
        if isinstance(children, dict):
            for key, child in reversed(list(children.items())):
                if isinstance(key, str | int):
                    todo.append((f"{prefix}.{key}" if prefix else str(key), child))


def plain_fields(root: Any, max_chars: int = 256) -> list[dict[str, Any]]:
    """Top-level scalar fields of a checkpoint dict (``epoch``, ``sd_checkpoint``, ...)."""
    if isinstance(root, Call):
        root = root.items
    if not isinstance(root, dict):
        return []
    out = []
    for key, value in root.items():
        if isinstance(value, bool | int | float) or value is None:
            out.append({"key": str(key), "value": value})
        elif isinstance(value, str):
            out.append({"key": str(key), "value": value[:max_chars]})
        if len(out) >= 64:
            break
    return out
