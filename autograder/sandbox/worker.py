"""The student side of the wire: runs a submission's code and answers calls.

This file runs inside the sandbox as a script, so it imports nothing from
the engine (the engine's folders are not visible there). The trusted side
imports it too, for the frame and value codec, which must match exactly.

Requests travel as `marshal` data: it is built into the interpreter, and
only this side reads it, from the trusted side. Replies are JSON, which the
trusted side reads safely whatever this process was made to send; this side
writes it itself. Plain values travel as themselves, tuples, dicts and arrays
are tagged, and every other object stays here and travels as a numbered
reference. The trusted side never receives an object.

A worker starts for every submission, so it imports little: json, functools
and linecache would cost about 9 ms of CPU at each start.
"""

from __future__ import annotations

import builtins
import io
import marshal
import operator
import os
import sys
from _json import encode_basestring_ascii as json_string  # the C string escaper json itself uses

# base64 (for numpy arrays), traceback (for errors) and zlib are imported where they are used.

MAX_FRAME = 64 * 1024 * 1024
MAX_DEPTH = 64
OPERATORS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "pow": operator.pow,
    "neg": operator.neg,
}


# ---------------------------------------------------------------- frames


def write_frame(stream, data: bytes) -> None:
    stream.write(len(data).to_bytes(4, "big") + data)
    stream.flush()


def read_exactly(stream, size: int) -> bytes | None:
    chunks, remaining = [], size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(stream) -> bytes | None:
    header = read_exactly(stream, 4)
    if header is None:
        return None
    size = int.from_bytes(header, "big")
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes is over the {MAX_FRAME} byte limit")
    return read_exactly(stream, size)


def send_request(stream, message: dict) -> None:
    """The trusted side's request: plain data (see `encode`)."""
    write_frame(stream, marshal.dumps(message))


def read_request(stream) -> dict | None:
    body = read_frame(stream)
    if body is None:
        return None
    message = marshal.loads(body)
    if not isinstance(message, dict):
        raise ValueError("a request must be a dict")
    return message


def send_reply(stream, reply: dict) -> None:
    write_frame(stream, as_json(reply).encode())


# ---------------------------------------------------------------- JSON, written here


class Json(str):
    """JSON text already written (a reply's value), put into a frame as it is."""


INFINITIES = {float("inf"): "Infinity", float("-inf"): "-Infinity"}


def float_json(number: float) -> str:
    """As json.dumps writes a float (NaN and the infinities included)."""
    if number != number:
        return "NaN"
    return INFINITIES.get(number) or float.__repr__(number)


def scalar_json(value) -> str | None:
    """A string, number, bool or None (of exactly those types) as JSON text; None for anything else."""
    kind = type(value)
    if kind is float:
        return float_json(value)
    if kind is int:
        return int.__repr__(value)
    if kind is str:
        return json_string(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    return None


def as_json(value) -> str:
    """Plain data (dicts with str keys, lists, strings, numbers, bools, None) as JSON text."""
    kind = type(value)
    if kind is Json:
        return value
    text = scalar_json(value)
    if text is not None:
        return text
    if kind is list:
        return "[" + ",".join([as_json(item) for item in value]) + "]"
    if kind is dict:
        return "{" + ",".join([json_string(key) + ":" + as_json(item) for key, item in value.items()]) + "}"
    raise TypeError(f"a {kind.__name__} is not plain data")


# ---------------------------------------------------------------- values


def is_numpy(kind: type) -> bool:
    return (kind.__module__ + ".").startswith("numpy.")


def encode(value, make_ref, depth: int = 0):
    """Plain data as itself, tuples and dicts tagged, anything else through make_ref (a reference)."""
    if depth > MAX_DEPTH:
        raise ValueError("data nested too deeply to send")
    if value is None or type(value) in (bool, str, int, float):
        return value
    if is_numpy(type(value)) and hasattr(value, "dtype"):
        return encode_numpy(value, make_ref)
    if type(value) is list:
        return [encode(item, make_ref, depth + 1) for item in value]
    if type(value) is tuple:
        return {"$tuple": [encode(item, make_ref, depth + 1) for item in value]}
    if type(value) is dict:
        return {"$dict": [[encode(k, make_ref, depth + 1), encode(v, make_ref, depth + 1)]
                          for k, v in value.items()]}
    return make_ref(value)


def encode_numpy(value, make_ref):
    import base64

    import numpy

    if isinstance(value, numpy.ndarray):
        if value.dtype.kind not in "biuf":
            return make_ref(value)
        buffer = io.BytesIO()
        numpy.save(buffer, value, allow_pickle=False)
        return {"$npy": base64.b64encode(buffer.getvalue()).decode()}
    if value.dtype.kind == "b":
        return bool(value)
    if value.dtype.kind in "iu":
        return int(value)
    if value.dtype.kind == "f":
        return float(value)
    return make_ref(value)


def render(value, make_ref, depth: int = 0) -> str:
    """`encode`, written straight as JSON text; make_ref returns a reference's text."""
    if depth > MAX_DEPTH:
        raise ValueError("data nested too deeply to send")
    text = scalar_json(value)
    if text is not None:
        return text
    kind = type(value)
    if kind is list:
        return "[" + ",".join([render(item, make_ref, depth + 1) for item in value]) + "]"
    if kind is tuple:
        return '{"$tuple":[' + ",".join([render(item, make_ref, depth + 1) for item in value]) + "]}"
    if kind is dict:
        return '{"$dict":[' + ",".join(["[" + render(k, make_ref, depth + 1) + "," + render(v, make_ref, depth + 1)
                                        + "]" for k, v in value.items()]) + "]}"
    if is_numpy(kind) and hasattr(value, "dtype"):
        return as_json(encode_numpy(value, make_ref))
    return make_ref(value)


def decode(value, resolve, depth: int = 0):
    """The inverse of encode, for requests; resolve turns {"$ref": ...} into an object."""
    if depth > MAX_DEPTH:
        raise ValueError("data nested too deeply")
    if isinstance(value, list):
        return [decode(item, resolve, depth + 1) for item in value]
    if isinstance(value, dict):
        if "$ref" in value:
            return resolve(value)
        if "$tuple" in value:
            return tuple(decode(item, resolve, depth + 1) for item in value["$tuple"])
        if "$dict" in value:
            return {decode(k, resolve, depth + 1): decode(v, resolve, depth + 1)
                    for k, v in value["$dict"]}
        if "$npy" in value:
            return decode_numpy(value["$npy"])
        raise ValueError("unknown tagged value")
    return value


def decode_numpy(text: str):
    import base64

    import numpy

    return numpy.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)


# ---------------------------------------------------------------- worker


class Objects:
    """Objects that stay in this process, each under a stable number."""

    def __init__(self):
        self.by_ref: dict[int, object] = {}
        self.by_id: dict[int, int] = {}

    def ref(self, obj) -> dict:
        number = self.by_id.get(id(obj))
        if number is None:
            number = len(self.by_ref) + 1
            self.by_ref[number] = obj
            self.by_id[id(obj)] = number
        return {"$ref": number, "$type": type(obj).__name__, "$label": label_of(obj)}

    def get(self, tagged: dict):
        return self.by_ref[tagged["$ref"]]


class References:
    """The references of one reply: an object's attributes are sent once, where it first appears that deep.

    The same object often appears many times in one reply (a graph's nodes
    are children of several others, a recorded call's operands are earlier
    results); the trusted side keeps each snapshot for the whole reply.
    """

    def __init__(self, objects: Objects):
        self.objects = objects
        self.snapshot_depth: dict[int, int] = {}  # id -> how deep its snapshot went (objects hold it meanwhile)
        self.bare: dict[int, Json] = {}

    def at(self, depth: int):
        """make_ref for `render`: snapshots go `depth` objects deep."""
        return lambda obj: self.tag(obj, depth)

    def tag(self, obj, depth: int) -> Json:
        key = id(obj)
        if depth > self.snapshot_depth.get(key, 0):
            self.snapshot_depth[key] = depth  # before its attributes, which may hold obj itself
            attributes = instance_attributes(obj)
            if attributes:
                inner = self.at(depth - 1)
                written = ",".join([json_string(name) + ":" + render(value, inner)
                                    for name, value in attributes.items()])
                return Json(f'{self.opening(obj)},"$attrs":{{{written}}}}}')
            self.snapshot_depth[key] = SNAPSHOT_DEPTH  # nothing to snapshot at any depth
        text = self.bare.get(key)
        if text is None:
            text = self.bare[key] = Json(self.opening(obj) + "}")
        return text

    def opening(self, obj) -> str:
        """`as_json(self.objects.ref(obj))` without its closing brace."""
        tag = self.objects.ref(obj)
        return f'{{"$ref":{tag["$ref"]},"$type":{json_string(tag["$type"])},"$label":{json_string(tag["$label"])}'


SNAPSHOT_DEPTH = 2  # an object returned, and the objects its attributes hold
SNAPSHOT_ATTRIBUTES = 8
SNAPSHOT_ITEMS = 8
SCALARS = (type(None), bool, int, float, str)


DESCRIPTORS: dict[type, frozenset[str]] = {}


def data_descriptors(kind: type) -> frozenset[str]:
    """Names a class serves through descriptors (properties and the like), which win over the instance dict.

    Looked up once per class: a class changed later only misleads its own
    submission's grading, never anyone else's.
    """
    found = DESCRIPTORS.get(kind)
    if found is None:
        found = DESCRIPTORS[kind] = frozenset(
            name for klass in kind.__mro__ for name, member in vars(klass).items()
            if hasattr(type(member), "__set__") or hasattr(type(member), "__delete__"))
    return found


def snapshot_value(value) -> bool:
    """Small plain data, or a small tuple or list of it and of objects (sent as references)."""
    if type(value) in SCALARS:
        return type(value) is not str or len(value) <= 200
    if type(value) in (tuple, list):
        return len(value) <= SNAPSHOT_ITEMS and all(type(item) in SCALARS or not is_container(item) for item in value)
    return not is_container(value)


def is_container(value) -> bool:
    return type(value) in (tuple, list, dict) or type(value).__module__.startswith("numpy")


def instance_attributes(obj) -> dict | None:
    """What `getattr(obj, name)` returns for each instance attribute, when that is read straight from its dict.

    None when the object has no plain instance dict, customises attribute
    access, or has too many attributes: then every read is asked for.
    """
    kind = type(obj)
    if kind.__getattribute__ is not object.__getattribute__:
        return None
    try:
        attributes = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        return None
    if type(attributes) is not dict or len(attributes) > SNAPSHOT_ATTRIBUTES:
        return None
    served = data_descriptors(kind)
    return {name: value for name, value in attributes.items()
            if type(name) is str and name not in served and snapshot_value(value)}


def label_of(obj) -> str:
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(qualname, str):
        return qualname
    return type(obj).__name__


class BoundedText(io.StringIO):
    """Captures what the student's code prints, keeping only the start."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit
        self.dropped = 0

    def write(self, text):
        room = self.limit - self.tell()
        if room < len(text):
            self.dropped += len(text) - max(room, 0)
            text = text[:max(room, 0)]
        return super().write(text)

    def text(self) -> str:
        note = f"\n... ({self.dropped} more characters not shown)" if self.dropped else ""
        return self.getvalue() + note


UNSHOWN_CELLS: dict[str, str] = {}  # "<cell N>": its source, not yet where tracebacks read lines


def show_cells_to_tracebacks() -> None:
    """Gives linecache the cells' sources once something has imported it (tracebacks read lines there)."""
    linecache = sys.modules.get("linecache")
    if linecache is not None:
        for filename, source in UNSHOWN_CELLS.items():
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        UNSHOWN_CELLS.clear()


def student_location(tb) -> dict | None:
    """The innermost frame that belongs to a notebook cell."""
    import traceback

    show_cells_to_tracebacks()
    found = None
    for frame in traceback.extract_tb(tb):
        if frame.filename.startswith("<cell "):
            found = {"cell": int(frame.filename[6:-1]), "line": frame.lineno,
                     "code": (frame.line or "").strip()}
    return found


class Worker:
    def __init__(self):
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.objects = Objects()
        self.output_chars = 2000

    def handle(self, message: dict) -> dict:
        op = message.get("op")
        self.output_chars = int(message.get("output_chars", self.output_chars))
        capture = BoundedText(self.output_chars)
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = capture
        try:
            reply = getattr(self, "op_" + str(op))(message)
        except BaseException as error:  # noqa: BLE001 - every failure is reported
            reply = {"error": self.describe(error)}
        finally:
            sys.stdout, sys.stderr = saved
        reply["output"] = capture.text()
        reply["cpu"] = sum(os.times()[:4])  # this process and any it waited for: the grader adds it up
        if capture.dropped:
            reply["output_dropped"] = capture.dropped
        return reply

    def describe(self, error: BaseException) -> dict:
        try:
            message = str(error)[:500]
        except BaseException:  # noqa: BLE001 - a broken __str__ is the student's
            message = "(the error's message could not be shown)"
        return {"type": type(error).__name__, "message": message,
                "where": student_location(error.__traceback__)}

    def value(self, tagged):
        return decode(tagged, self.objects.get)

    def reply(self, value) -> dict:
        """The value, with objects as references and snapshots of their attributes (see `References`).

        The trusted side reads an attribute from the snapshot only until it
        sends its next request, so it sees what it would have asked for.
        """
        return {"value": Json(render(value, References(self.objects).at(SNAPSHOT_DEPTH)))}

    def op_load(self, message):
        errors = []
        for cell in message["cells"]:
            filename = f"<cell {cell['index']}>"
            source = UNSHOWN_CELLS[filename] = cell["source"]
            show_cells_to_tracebacks()  # for tracebacks the student's own code prints, from this cell on
            try:
                exec(compile(source, filename, "exec"), self.namespace)
            except BaseException as error:  # noqa: BLE001 - a failing cell must not stop the rest
                errors.append({"cell": cell["index"], **self.describe(error)})
            show_cells_to_tracebacks()  # the cell may have imported linecache
        return {"value": sorted(k for k in self.namespace if not k.startswith("_")),
                "cell_errors": errors}

    def op_global(self, message):
        name = message["name"]
        if name not in self.namespace:
            return {"error": {"type": "MissingName", "message": name, "where": None}}
        return self.reply(self.namespace[name])

    def op_getattr(self, message):
        return self.reply(getattr(self.value(message["target"]), message["name"]))

    def op_call(self, message):
        target = self.value(message["target"])
        args = self.value(message.get("args", []))
        kwargs = self.value(message.get("kwargs", {"$dict": []}))
        return self.reply(target(*args, **kwargs))

    def op_operator(self, message):
        function = OPERATORS[message["name"]]
        return self.reply(function(*self.value(message["args"])))

    def op_hold(self, message):
        """Keeps data here and answers with a handle (lists a call may change in place)."""
        return {"value": self.objects.ref(self.value(message["value"]))}

    def op_evaluate(self, message):
        """Evaluates one expression (a lambda, a constructor call) among the student's globals."""
        import zlib

        source = message["source"]
        tag = self.objects.ref(eval(source, self.namespace))
        # a name of its own that survives restarts (a hang marks only this one) and shows no grader code
        tag["$label"] = f"the grader's {tag['$type']} {zlib.crc32(source.encode()):08x}"
        return {"value": tag}

    def op_define(self, message):
        """Defines one of the grader's helper functions among a copy of the student's globals.

        The helper sees the notebook's names (its `Value`) but adds none to them, so
        it cannot shadow a function of the student's.
        """
        name = message["name"]
        scope = dict(self.namespace)
        exec(compile(message["source"], f"<the grader's {name}>", "exec"), scope)
        tag = self.objects.ref(scope[name])
        tag["$label"] = f"the grader's {name}"
        return {"value": tag}

    def op_exec(self, message):
        """Runs a visible check cell (student-facing checks only)."""
        cell = {"index": message["index"], "source": message["source"]}
        result = self.op_load({"cells": [cell]})
        errors = result["cell_errors"]
        return {"value": None} if not errors else {"error": errors[0]}


def detach_channel():
    """Moves the wire off stdin/stdout so prints cannot corrupt it."""
    reader = os.fdopen(os.dup(0), "rb")
    writer = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    return reader, writer


def shield_parent():
    """Puts a disposable process between the grader and the student's code."""
    child = os.fork()
    if child:
        _, status = os.waitpid(child, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def leave_launcher_group():
    """Its own process group: `os.kill(0, ...)` from the student's code reaches no launcher.

    Under `unshare --pid` the worker's parent is outside its namespace, so
    `os.getppid()` is 0 and killing "the parent" signals the whole group.
    """
    if os.getpgrp() != os.getpid():
        os.setsid()


def apply_rlimits(arguments: list[str]) -> None:
    """Sets this process's caps, each given as `--rlimit=NAME:SOFT:HARD`, before any student code runs."""
    import resource

    for argument in arguments:
        if argument.startswith("--rlimit="):
            name, soft, hard = argument.removeprefix("--rlimit=").split(":")
            try:
                resource.setrlimit(getattr(resource, f"RLIMIT_{name}"), (int(soft), int(hard)))
            except (ValueError, OSError):
                pass  # a cap this system cannot lower to that value: the others still hold


def serve():
    sys.path += [arg.split("=", 1)[1] for arg in sys.argv if arg.startswith("--library=")]  # started without site
    apply_rlimits(sys.argv)
    leave_launcher_group()
    if "--shield" in sys.argv:
        shield_parent()
    reader, writer = detach_channel()
    worker = Worker()
    while True:
        try:
            message = read_request(reader)
        except (ValueError, EOFError, OSError):
            return
        if message is None:
            return
        send_reply(writer, worker.handle(message))


if __name__ == "__main__":
    serve()
