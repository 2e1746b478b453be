"""The self-test's checks, with fake models and recognizers (the real ones are bundled
by other parts of the project; packaging runs ``calcapp --self-test`` against them)."""

from calcapp.engine import selftest
from test_ui_fakes import FakePredictor, FakeReading, FakeSymbol, fake_model


def test_answers_pass_with_a_right_model_and_fail_with_a_wrong_one(tmp_path):
    info = fake_model(tmp_path)
    lines = []
    assert selftest.check_answers([info], lines.append, predictor_for=FakePredictor) == 0
    assert any("[add3-fake]" in line for line in lines)
    wrong = lambda i: FakePredictor(i, wrong={"12+34": "47"})  # noqa: E731
    assert selftest.check_answers([info], lines.append, predictor_for=wrong) == 1


class _Reads7:
    def read_strokes(self, strokes):
        assert strokes and strokes[0].points
        return FakeReading("7", [FakeSymbol("7", 0.99, [("7", 0.99)], (0, 0, 1, 1), [0])])


def test_ink_cases_count_misreads():
    lines = []
    assert selftest.check_ink(_Reads7(), lines.append) == len(selftest.INK_CASES) - 1
    assert lines[0].startswith("ok ") and "99%" in lines[0]


def test_a_missing_recognizer_fails_the_self_test(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CALCAPP_RESOURCES", str(tmp_path / "empty-resources"))
    assert selftest.run_self_test() == 1
    out = capsys.readouterr().out
    assert "cannot load the bundled recognizer" in out and "self-test FAILED" in out


def test_multiplication_dot_and_minus_spellings_count_as_the_same():
    assert selftest._same("4\u00b75", "4\u00d75") and selftest._same("8\u22126", "8-6")
