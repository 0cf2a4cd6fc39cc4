"""Performance benchmarks of dictgame (issue 4); run `python -m bench`."""
