#!/usr/bin/env python3
"""Tests of scripts/timing-verdict.py on hookseal-timing output lines (make test runs them; timing itself is not)."""

import subprocess
import sys
import unittest
from pathlib import Path

SCRIPT = Path(__file__).with_name("timing-verdict.py")


def line(name: str, t: float) -> str:
    return f"bench {name:<36} ... : n == +2.000M, max t = {t:+.5f}, max tau = +0.00100, (5/tau)^2 = 25000000\n"


QUIET = {
    "signature_long_prefix_vs_none": -1.5,
    "signature_control": 1.1,
    "shared_key_long_prefix_vs_none": 2.1,
    "shared_key_equal_vs_different_length": 1.2,
    "shared_key_length_control": -2.0,
    "control_length_leaking_compare": 9000.0,
    "control_early_exit_compare": 3000.0,
}


def run(results: dict[str, float], announced: int | None = None) -> subprocess.CompletedProcess[str]:
    count = len(results) if announced is None else announced
    output = f"\nrunning {count} benches\n" + "".join(line(name, t) for name, t in results.items())
    return subprocess.run([sys.executable, str(SCRIPT)], input=output, capture_output=True, text=True, check=False)


class Verdict(unittest.TestCase):
    def test_every_check_below_threshold_passes(self) -> None:
        done = run(QUIET)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("every check below", done.stdout)
        self.assertIn(line("signature_long_prefix_vs_none", -1.5), done.stdout)  # passed through

    def test_a_check_at_the_threshold_is_a_leak(self) -> None:
        done = run({**QUIET, "shared_key_equal_vs_different_length": -4.5})
        self.assertEqual(done.returncode, 1)
        self.assertIn("shared_key_equal_vs_different_length", done.stderr)

    def test_a_loud_noise_control_voids_the_run(self) -> None:
        done = run({**QUIET, "shared_key_length_control": 6.0, "signature_long_prefix_vs_none": 9.0})
        self.assertEqual(done.returncode, 2)
        self.assertIn("proves nothing", done.stderr)

    def test_a_leaky_control_not_seen_voids_the_run(self) -> None:
        done = run({**QUIET, "control_early_exit_compare": 3.0})
        self.assertEqual(done.returncode, 2)

    def test_no_results_or_an_unknown_bench_fail(self) -> None:
        self.assertEqual(run({}).returncode, 2)
        self.assertEqual(run({**QUIET, "some_new_bench": 1.0}).returncode, 2)

    def test_a_filtered_run_proves_nothing(self) -> None:
        done = run({"signature_long_prefix_vs_none": 0.5})
        self.assertEqual(done.returncode, 2)
        self.assertIn("did not run", done.stderr)

    def test_a_bench_that_did_not_report_voids_the_run(self) -> None:
        done = run(QUIET, announced=len(QUIET) + 1)
        self.assertEqual(done.returncode, 2)
        self.assertIn("did not finish", done.stderr)

    def test_a_t_that_is_not_a_number_voids_the_run(self) -> None:
        for name in ("shared_key_long_prefix_vs_none", "signature_control", "control_early_exit_compare"):
            done = run({**QUIET, name: float("nan")})
            self.assertEqual(done.returncode, 2, name)


if __name__ == "__main__":
    unittest.main()
