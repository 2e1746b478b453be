"""Scratch-out and tap detection on plain point lists."""

from calcapp.ui.calculator import gestures


def test_a_zigzag_is_a_scratch_but_digits_are_not():
    zigzag = [(0 if i % 2 == 0 else 30, 4 * i) for i in range(10)]
    assert gestures.is_scratch(zigzag)
    eight = [(10, 0), (20, 5), (10, 15), (0, 25), (10, 35), (20, 25), (10, 15), (0, 5), (10, 0)]
    assert not gestures.is_scratch(eight)
    two = [(0, 5), (10, 0), (20, 5), (15, 15), (0, 30), (10, 30), (20, 30), (25, 30)]
    assert not gestures.is_scratch(two)
    assert not gestures.is_scratch([(0, 0), (40, 0), (0, 1)])


def test_taps_and_overlap():
    assert gestures.is_tap([(5, 5), (6, 6)], 0.1)
    assert not gestures.is_tap([(5, 5), (30, 6)], 0.1)
    assert gestures.overlap_fraction((10, 10, 10, 10), (0, 0, 100, 100)) == 1.0
    assert gestures.overlap_fraction((200, 200, 5, 5), (0, 0, 100, 100)) == 0.0
    assert gestures.contains((10, 10, 5, 5), 12, 12)
