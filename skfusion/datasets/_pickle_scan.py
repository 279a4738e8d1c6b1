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
_MARK = object()


class PickleBoundsError(ValueError):
    """A pickle beyond the bounds of a file of scores."""


class _Value:
    __slots__ = ("depth", "shared", "size")

    def __init__(self, size, depth):
        self.size, self.depth, self.shared = size, depth, False


def _pop(stack, layout):
    """Pop the operands `layout` (a pickletools stack_before) names."""
    popped = []
    for kind in reversed(layout):
        if kind is pickletools.stackslice:
            while stack and stack[-1] is not _MARK:
                popped.append(stack.pop())
        elif not stack or (stack[-1] is _MARK) != (kind is pickletools.markobject):
            raise PickleBoundsError("its opcodes do not form a valid pickle")
        else:
            item = stack.pop()
            if item is not _MARK:
                popped.append(item)
    popped.reverse()
    return popped


def _apply(op, stack, budget):
    """Model one opcode other than the memo's on `stack`."""
    popped = _pop(stack, op.stack_before)
    if op.name in _MUTATORS:
        if not popped or popped[0].shared:
            raise PickleBoundsError("it changes a value after sharing it")
        target, parts = popped[0], popped[1:]
    else:
        target, parts = _Value(1, 1), popped
    for part in parts:
        target.size += part.size
        target.depth = max(target.depth, part.depth + 1)
    if target.size > budget:
        raise PickleBoundsError(
            f"it builds more than {budget} values (references to shared values "
            "repeat them)"
        )
    if target.depth > MAX_DEPTH:
        raise PickleBoundsError(f"it nests values more than {MAX_DEPTH} deep")
    stack.extend([target] * len(op.stack_after))


def _memo_op(op, arg, stack, memo):
    """Model the memo and mark opcodes; return False for any other."""
    name = op.name
    if name in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"):
        if not stack or stack[-1] is _MARK:
            raise PickleBoundsError("its opcodes do not form a valid pickle")
        memo[len(memo) if name == "MEMOIZE" else arg] = stack[-1]
    elif name in ("GET", "BINGET", "LONG_BINGET"):
        if arg not in memo:
            raise PickleBoundsError(f"it refers to memo entry {arg}, never stored")
        value = memo[arg]
        value.shared = True
        stack.append(value)
    elif name == "MARK":
        stack.append(_MARK)
    elif name == "DUP":
        stack.append(stack[-1])
    else:
        return False
    return True


def scan(stream, size):
    """Walk one pickle of `stream` (`size` bytes in all); raise if unbounded.

    Raises PickleBoundsError, or ValueError where pickletools cannot read an
    opcode.
    """
    budget = 16 * size + 100_000
    stack, memo = [], {}
    for op, arg, _ in pickletools.genops(stream):
        if op.name == "STOP":
            return
        if not _memo_op(op, arg, stack, memo):
            _apply(op, stack, budget)
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
