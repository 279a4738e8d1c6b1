"""Bounds on a pickle of scores, checked before anything is unpickled.

A restricted unpickler runs no code, but a few hundred bytes can still make
it work for hours or segfault: memo references turn ``t = (t, t)`` into a
tuple of 2**40 leaves, which a dict hashes at once; ten thousand nested
tuples overflow the C stack when hashed; an array's shape can ask for
gigabytes. Here the opcode stream is walked once, modelling the stack
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
_MEMO = {"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE", "GET", "BINGET", "LONG_BINGET"}
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


_LAYOUTS = {op: _layout(op) for op in pickletools.opcodes}
_NAMES = {op: op.name for op in pickletools.opcodes}


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

    def memo_op(self, name, arg):
        """Model PUT, GET and their kin."""
        stack = self.stack
        if name.endswith("GET"):
            if arg not in self.memo:
                raise PickleBoundsError(f"it refers to memo entry {arg}, never stored")
            value = self.memo[arg]
            value.shared = True
            stack.append(value)
        elif not stack or (self.marks and self.marks[-1] == len(stack) - 1):
            raise _invalid()
        else:
            self.memo[len(self.memo) if name == "MEMOIZE" else arg] = stack[-1]


def scan(stream, size):
    """Walk one pickle of `stream` (`size` bytes in all); raise if unbounded.

    Raises PickleBoundsError, or ValueError where pickletools cannot read an
    opcode.
    """
    model = _Model(16 * size + 100_000)
    stack = model.stack
    for op, arg, _ in pickletools.genops(stream):
        name = _NAMES[op]
        fixed, mark, pushes = _LAYOUTS[op]
        if name in _MEMO:
            model.memo_op(name, arg)
        elif name == "MARK":
            model.marks.append(len(stack))
            stack.append(_MARK)
        elif name == "STOP":
            return
        elif name == "DUP":
            if not stack or stack[-1] is _MARK:
                raise _invalid()
            stack.append(stack[-1])
        elif fixed or mark or name in _EMPTY:
            model.apply(name, fixed, mark, pushes)
        else:
            stack.extend([_ATOM] * pushes)
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
        with archive.open(pickles[0]) as stream:
            scan(stream, pickles[0].file_size)
