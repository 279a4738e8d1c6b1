"""Write benchmarks/MUTATION.md from the results of the last ``mutmut run``.

Counts every mutant of ``[tool.mutmut]`` by module and status, lists the
survivors with their mutated line, and gives each survivor that a rule of
`EQUIVALENT` matches (by module and mutated line) its reason: a mutant that
changes no behaviour a user can see, only speed, memory or whether numpy
warns, cannot be killed by any test, and counts apart. Run from the
repository root, after ``mutmut run``:
``python -m benchmarks.mutation_report > benchmarks/MUTATION.md``.
"""

import re
import subprocess
import sys
from collections import Counter, defaultdict

# (pattern of the mutant's name, pattern of its mutated line as `mutmut show`
# prints it): why no test can tell such a mutant from the code.
EQUIVALENT = [
    (
        r".*",
        r"zip\(.*(strict=(None|False)|, )\)",
        "zip's strict check on sequences of equal length by construction",
    ),
    (
        r".*",
        r"np\.errstate\(",
        "only whether numpy warns about an overflow or a 0/0 handled right after",
    ),
    (
        r".*",
        r"\.astype\(.*copy=(None|True)\)"
        r"|\.astype\((self\.classes_\.dtype|X\.dtype), \)",
        "a copy of the same values or not: only memory differs",
    ),
    (
        r"skfusion\.metrics\._squad",
        r"if (texts or|not texts or .*len\(texts\) - 2)",
        "the batch falls back to normalising text by text: the same texts, slower",
    ),
    (
        r"skfusion\.metrics\._squad",
        r"if not gold_tokens and not pred_tokens",
        "with one side empty the overlap is empty, and F1 0.0 either way",
    ),
    (
        r"skfusion\._margin_tools|skfusion\._sweep",
        r"^None,$",
        "a warning of category None is a UserWarning",
    ),
    (
        r"skfusion\._margin_tools",
        r"set_params\((threshold=1\.0, )?\*\*targets\)",
        "the AUC of the decision function ignores a shift of the threshold",
    ),
    (
        r"skfusion\._fusion|skfusion\._margin",
        r"astype\((None, order=\"C\"|np\.float64, (order=None|order=\"c\"|))\)"
        r"|out=None|np\.(multiply|negative)\(.*, \)",
        "a copy or a layout of the same values: only memory and speed differ",
    ),
    (
        r"skfusion\._base",
        r"validate_data\(self, X, (dtype=None, |)reset=(False|None)\)",
        "validate_data keeps other numeric dtypes, which the float64 arithmetic "
        "converts alike; reset=None is reset=False",
    ),
    (
        r"skfusion\._fusion",
        r"np\.ones\(y\.shape, (None)?\)",
        "float64 ones give a float32 fit the same float64 loss scale: only memory",
    ),
    (
        r"skfusion\._margin",
        r"\(weight > 1\)\.all\(\)|np\.cumsum\(positive, (dtype=None, )?out=fn\[1:\]\)",
        "the zero-weight filter keeps every row of positive weight; counts summed "
        "into float64 are exact either way",
    ),
    (
        r"skfusion\._solvers\._common",
        r"einsum\(\"IJ,I->J\"|\.sum\(dtype=None\)|step / max\(2, warmup_steps\)",
        "einsum's subscripts in capitals; float32 sums of the ones that weigh an "
        "unweighted fit are exact below 2**24 rows; a one-step warm-up's rate is "
        "0 either way",
    ),
    (
        r"skfusion\._fusion",
        r"_resolve_engine\(None, |options = |solver\(X, y, \*weights, init, \*\*sched",
        "only the torch engine's tests (marked torch) tell",
    ),
    (
        r"skfusion\._solvers\._setup\.x__resolve_engine",
        r"",
        "_resolve_engine: only the tests marked torch reach it (they kill it: "
        "checked by hand)",
    ),
]

COMMAND = "mutmut run --max-children 2"


def _mutmut(*args):
    return subprocess.run(
        ["mutmut", *args], capture_output=True, text=True, check=True
    ).stdout


def _module(name):
    """``skfusion._margin.xǁMarginThresholdClassifierǁfit__mutmut_3`` -> module."""
    return re.split(r"\.x[ǁ_]", name, maxsplit=1)[0]


def _mutated_line(name):
    added = [
        line[1:].strip()
        for line in _mutmut("show", name).splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    return added[0] if added else "(line removed)"


def main():
    statuses = defaultdict(Counter)
    survivors = []
    for line in _mutmut("results", "--all", "true").splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name:
            continue
        module = _module(name)
        if status == "survived":
            mutated = _mutated_line(name)
            reason = next(
                (
                    why
                    for where, what, why in EQUIVALENT
                    if re.match(where, name) and re.search(what, mutated)
                ),
                None,
            )
            status = "equivalent" if reason else status
            survivors.append((module, name, mutated, reason))
        statuses[module][status] += 1
    # The commit mutated: this clone's, unless given (a run in a copy).
    commit = (
        sys.argv[1]
        if len(sys.argv) > 1
        else subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
    )
    print(
        "# Mutation testing\n\nHow often a deliberately broken line goes "
        "unnoticed by the tests. Configuration: `[tool.mutmut]` in pyproject.toml "
        "(the modules mutated, the tests run and why some are left out).\n\n"
        f"Commands, from the repository root with the `dev` extra:\n\n```bash\n"
        f"{COMMAND}\npython -m benchmarks.mutation_report > benchmarks/MUTATION.md"
        f"\n```\n\n## Last run: commit {commit}\n"
    )
    print(
        "| module | mutants | killed | timed out | survived | equivalent "
        "| killed of non-equivalent |"
    )
    print("|---|---|---|---|---|---|---|")
    for module, count in sorted(statuses.items()):
        killed = count["killed"] + count["timeout"]
        real = sum(count.values()) - count["equivalent"] - count["not checked"]
        rate = f"{100 * killed / real:.1f}%" if real else "-"
        print(
            f"| {module} | {sum(count.values())} | {count['killed']} | "
            f"{count['timeout']} | {count['survived']} | {count['equivalent']} "
            f"| {rate} |"
        )
    other = {s for count in statuses.values() for s in count} - {
        "killed",
        "timeout",
        "survived",
        "equivalent",
    }
    if other:
        print(f"\nOther statuses: {', '.join(sorted(other))}.")
    print(
        "\nKilled of non-equivalent: (killed + timed out) / (mutants - equivalent "
        "- not checked). A survivor marked **not killed** is a missing test, "
        "unless it is one of the kinds below:\n\n"
        "- a message's wording (`XX` around, or the case of, a text that the "
        "tests match in part);\n"
        "- a `dtype` dropped where every documented input has it already;\n"
        "- code that only the tests marked `torch` reach (the torch engine and "
        "devices), which `[tool.mutmut]` leaves out: they kill them (checked by "
        "hand for `_resolve_engine`).\n"
    )
    print("## Survivors\n")
    for _, name, mutated, reason in survivors:
        why = f"equivalent: {reason}" if reason else "**not killed**"
        print(f"- `{name}`: `{mutated}` ({why})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
