"""What the skfusion command tells a newcomer: help texts, examples, hints."""

import re
import subprocess
import sys

import pytest

from skfusion.cli import build_parser, main
from skfusion.datasets import write_squad_example

COMMANDS = ("compare", "fit", "predict")


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def help_text(capsys, *argv):
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def example(text):
    """The example command at the end of a --help text, as one line."""
    match = re.search(r"\nexample, .*?:\n\n  (skfusion [^\n]+)\n$", text, re.DOTALL)
    assert match, text
    return match.group(1)


def test_no_arguments_print_the_help(capsys):
    status, out, err = run(capsys)
    assert status == 0 and err == ""
    assert out.startswith("usage: skfusion")
    for command in COMMANDS:
        assert f"    {command} " in out
    done = subprocess.run(
        [sys.executable, "-m", "skfusion"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == out


def test_each_command_ends_with_an_example_that_runs(capsys, tmp_path, monkeypatch):
    # The examples run on the folder the epilog names, as a user would.
    monkeypatch.chdir(tmp_path)
    write_squad_example("run_qa_output", n_questions=300, prefix="eval")
    for command in COMMANDS:  # compare, then fit, whose file predict reads
        argv = example(help_text(capsys, command)).split()
        assert argv[:2] == ["skfusion", command]
        status, _, err = run(capsys, *argv[1:], "-q")
        assert status == 0, err
    assert (tmp_path / "calibrator.skops").is_file()
    assert (tmp_path / "predictions.json").is_file()


def test_compare_help_names_the_rules_it_compares(capsys):
    status, out, _ = run(capsys, "compare", "--folds", 2, "--repeats", 1, "-q")
    assert status == 0
    table = out.split("\n\n")[0].splitlines()[1:]
    rules = [re.split(r"\s{2,}", row)[0] for row in table]
    assert len(rules) == 4
    text = " ".join(help_text(capsys, "compare").split())
    assert "four rules" in text
    for rule in rules:
        assert rule in text


def test_fit_help_speaks_of_one_calibrator_and_where_seed_matters(capsys):
    text = " ".join(help_text(capsys, "fit").split())
    assert "every tuned rule" not in text
    assert "the calibrator is fitted for" in text
    seed = re.search(r"--seed SEED (.*?) --model", text).group(1)
    assert "--model fusion only" in seed and "margin rule has no randomness" in seed
    compare = " ".join(help_text(capsys, "compare").split())
    assert "seed of the folds" in compare


@pytest.mark.parametrize("command", ["compare", "fit"])
def test_json_help_says_what_strict_means(capsys, command):
    text = " ".join(help_text(capsys, command).split())
    assert "never NaN or Infinity" in text


def test_indented_lines_of_a_help_are_kept_as_written():
    parser = build_parser()
    formatter = parser._get_formatter()
    text = "A long paragraph " * 10 + "\n\n  skfusion " + "x " * 60
    filled = formatter._fill_text(text, 40, "")
    first, kept = filled.split("\n\n")
    assert max(len(line) for line in first.splitlines()) <= 40
    assert kept == "  skfusion " + "x " * 60


@pytest.mark.parametrize("tune", ["squad_em", "squad_f1"])
def test_tune_without_nbest_lists_names_the_missing_file(capsys, tmp_path, tune):
    paths = write_squad_example(tmp_path, n_questions=60)
    paths["nbest"].unlink()
    argv = ["fit", tmp_path, "--dev", paths["dev"], "--tune", tune, "-o", "m.joblib"]
    status, _, err = run(capsys, *argv)
    assert status == 1
    assert len(err.strip().splitlines()) == 1
    assert f"--tune {tune}: tune={tune!r} needs" in err
    assert "no nbest_predictions.json" in err
    assert "--tune accuracy" in err
    assert not (tmp_path / "m.joblib").exists()


def test_plot_without_matplotlib_gives_a_hint_that_works_from_a_clone(capsys):
    script = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from skfusion.cli import main\n"
        "sys.exit(main(['compare', '--folds', '2', '--repeats', '1', '-q', "
        "'--plot', 'unused']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "pip install matplotlib" in done.stderr
    assert "pip install -e '.[plot]'" in done.stderr
    assert "skfusion[plot]" not in done.stderr
