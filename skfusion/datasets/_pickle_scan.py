"""Bounds on a pickle of scores, checked before anything is unpickled.

A restricted unpickler runs no code, but a few hundred bytes can still make
it work without end or crash: memo references turn ``t = (t, t)`` into a
tuple of 2**40 leaves, which a dict hashes at once; a million nested
tuples overflow the C stack when hashed (a segmentation fault); an array's
shape can ask for gigabytes. Here the opcode stream is walked once, modelling the stack
without building any object: each value's size as a tree (shared
references counted each time they are used) and its depth are bounded, and
a value used by reference may not change afterwards.
"""

import pickletools
import zipfile

# Far above the research notebook's pickle of SQuAD 2.0 dev (about 1 MB for
# 11873 questions) or of a training set ten times as large.
MAX_BYTES = 64 * 2**20
# Nesting of a score file: dict of dicts of arrays, whose pickles nest
# their arguments about ten levels.
MAX_DEPTH = 64
# Scores of one question; the notebook has four.
MAX_ROW = 4096

_MUTATORS = {"APPEND", "APPENDS", "SETITEM", "SETITEMS", "ADDITEMS", "BUILD"}
_EMPTY = {"EMPTY_DICT", "EMPTY_LIST", "EMPTY_SET"}
_MARK = object()


class PickleBoundsError(ValueError):
    """A pickle beyond the bounds of a file of scores."""


class _Value:
    __slots__ = ("depth", "shared", "size")

    def __init__(self, size, depth):
        self.size, self.depth, self.shared = size, depth, False


# A constant (number, string, bool, global name) takes nothing from the
# stack; all of them share one model, which no opcode may change.
_ATOM = _Value(1, 1)


def _layout(op):
    """``(operands below a mark, takes a mark, pushes)`` of an opcode."""
    before = op.stack_before
    mark = pickletools.markobject in before
    fixed = before.index(pickletools.markobject) if mark else len(before)
    return fixed, mark, len(op.stack_after)


# What the scan does for an opcode, by its name; any other opcode builds a
# value from its operands, or pushes a constant where it has none.
_KINDS = {
    "BINPUT": "put1",
    "LONG_BINPUT": "put4",
    "PUT": "putnl",
    "MEMOIZE": "memoize",
    "BINGET": "get1",
    "LONG_BINGET": "get4",
    "GET": "getnl",
    "MARK": "mark",
    "STOP": "stop",
    "DUP": "dup",
}


def _table():
    """Per opcode byte: what to do, argument length (pickletools' codes), layout."""
    table = [None] * 256
    for op in pickletools.opcodes:
        n = 0 if op.arg is None else op.arg.n
        lines = 2 if op.name in ("GLOBAL", "INST") else 1
        fixed, mark, pushes = _layout(op)
        kind = _KINDS.get(op.name)
        if kind is None:
            built = fixed or mark or op.name in _EMPTY
            kind = "build" if built else "constant"
        table[ord(op.code)] = (kind, op.name, n, lines, fixed, mark, pushes)
    return table


_TABLE = _table()
# How many bytes give the length of an argument, and whether it is signed.
_LENGTHS = {
    pickletools.TAKEN_FROM_ARGUMENT1: (1, False),
    pickletools.TAKEN_FROM_ARGUMENT4: (4, True),
    pickletools.TAKEN_FROM_ARGUMENT4U: (4, False),
    pickletools.TAKEN_FROM_ARGUMENT8U: (8, False),
}


def _invalid():
    return PickleBoundsError("its opcodes do not form a valid pickle")


class _Model:
    """The unpickler's stack and memo, holding sizes and depths, not objects."""

    def __init__(self, budget):
        self.stack, self.marks, self.memo, self.budget = [], [], {}, budget

    def pop(self, fixed, mark):
        """Pop an opcode's operands: those above a mark, the mark, `fixed` more."""
        stack = self.stack
        top = len(stack)
        if mark:
            if not self.marks:
                raise _invalid()
            top = self.marks.pop()
        start = top - fixed
        if start < (self.marks[-1] + 1 if self.marks else 0):
            raise _invalid()
        popped = stack[start:top] + stack[top + mark :]
        del stack[start:]
        return popped

    def apply(self, name, fixed, mark, pushes):
        """Model an opcode that builds or changes a value."""
        popped = self.pop(fixed, mark)
        if name in _MUTATORS:
            target = popped[0] if popped else _ATOM
            if target is _ATOM or target.shared:
                raise PickleBoundsError("it changes a value after sharing it")
            parts = popped[1:]
        else:
            target, parts = _Value(1, 1), popped
        size, depth = target.size, target.depth
        for part in parts:
            size += part.size
            if part.depth >= depth:
                depth = part.depth + 1
        if size > self.budget:
            raise PickleBoundsError(
                f"it builds more than {self.budget} values (references to shared "
                "values repeat them)"
            )
        if depth > MAX_DEPTH:
            raise PickleBoundsError(f"it nests values more than {MAX_DEPTH} deep")
        target.size, target.depth = size, depth
        self.stack.extend([target] * pushes)

    def get(self, index):
        """Model GET and its kin: push a value, shared from now on."""
        if index not in self.memo:
            raise PickleBoundsError(f"it refers to memo entry {index}, never stored")
        value = self.memo[index]
        value.shared = True
        self.stack.append(value)

    def put(self, index):
        """Model PUT and its kin: keep the value on top of the stack."""
        stack = self.stack
        if not stack or stack[-1] is _MARK:
            raise _invalid()
        self.memo[index] = stack[-1]


def _argument_end(raw, pos, n, lines):
    """Where an argument of variable length (pickletools' code `n`) ends."""
    if n == pickletools.UP_TO_NEWLINE:
        end = pos
        for _ in range(lines):
            end = raw.find(b"\n", end) + 1
            if not end:
                raise PickleBoundsError("it ends inside an opcode")
        return end
    width, signed = _LENGTHS[n]
    length = int.from_bytes(raw[pos : pos + width], "little", signed=signed)
    if length < 0:
        raise _invalid()
    return pos + width + length


def _memo_index(kind, arg):
    if kind.endswith("1"):
        return arg[0]
    if kind.endswith("4"):
        return int.from_bytes(arg, "little")
    try:
        return int(arg)  # protocol 0 writes the index in decimal
    except ValueError:
        raise _invalid() from None


def scan(raw, start=0):
    """Walk the pickle at `start` of the bytes `raw`; raise if unbounded.

    Returns where the pickle ends, for a file of several pickles. Raises
    PickleBoundsError, a ValueError, on anything unbounded or invalid.
    """
    model = _Model(16 * len(raw) + 100_000)
    stack, memo, table, pos, end = model.stack, model.memo, _TABLE, start, len(raw)
    while pos < end:
        entry = table[raw[pos]]
        if entry is None:
            raise PickleBoundsError(f"byte {pos} is not a pickle opcode")
        kind, name, n, lines, fixed, mark, pushes = entry
        arg_at = pos + 1
        pos = arg_at + n if n >= 0 else _argument_end(raw, arg_at, n, lines)
        if pos > end:
            raise PickleBoundsError("it ends inside an opcode")
        if kind == "constant":
            stack.extend([_ATOM] * pushes)
        elif kind == "build":
            model.apply(name, fixed, mark, pushes)
        elif kind.startswith("put"):
            model.put(_memo_index(kind, raw[arg_at:pos]))
        elif kind == "memoize":
            model.put(len(memo))
        elif kind.startswith("get"):
            model.get(_memo_index(kind, raw[arg_at:pos]))
        elif kind == "mark":
            model.marks.append(len(stack))
            stack.append(_MARK)
        elif kind == "stop":
            return pos
        elif not stack or stack[-1] is _MARK:  # DUP
            raise _invalid()
        else:
            stack.append(stack[-1])
    raise PickleBoundsError("it ends before its STOP opcode")


def check_zip(path):
    """Bound a torch.save zip file: stored entries, total size, its pickle."""
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
        total = sum(e.file_size for e in entries)
        if total > MAX_BYTES:
            raise PickleBoundsError(f"its entries hold {total} bytes")
        if any(e.compress_type != zipfile.ZIP_STORED for e in entries):
            raise PickleBoundsError(
                "it has compressed entries, which torch.save never writes"
            )
        pickles = [e for e in entries if e.filename.endswith("data.pkl")]
        if len(pickles) != 1:
            raise PickleBoundsError("it is not a torch.save file (one data.pkl)")
        scan(archive.read(pickles[0]))
