"""Errors reach a person as one plain line."""

from calcapp.engine.protocol import readable


def test_errors_read_as_sentences():
    assert readable(LookupError("no model named 'x'")) == "no model named 'x'"
    assert readable(FileNotFoundError("no recognizer model in /m")) == "no recognizer model in /m"
    assert readable(KeyError("no training 'r'")) == "no training 'r'"
    assert readable(ImportError("x", name="calcapp.handwriting.recognizer")).endswith(
        "not installed: calcapp.handwriting.recognizer")
    assert readable(RuntimeError("boom\nline two")) == "RuntimeError: boom"
    assert readable(MemoryError()) == "out of memory"
