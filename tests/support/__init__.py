"""What tests and the benchmarks share: synthetic event histories built without intake."""
