#!/usr/bin/env python3
"""Reads hookseal-timing's output (make timing), passes it through, and says what it means.

dudect's rule: |t| >= 4.5 means the two classes of a bench can be told apart by timing. The checks must stay below
it; the leaky controls must be far above it (else the harness could not see a leak); the noise control, whose
classes do not differ at all, must stay below it (else the machine disturbed this run and it proves nothing).

Exit status: 0 every check passed, 1 a check showed a difference on an undisturbed run, 2 the run proves nothing:
a control failed or did not run (a filtered run: `make timing ARGS='--filter NAME'` is for looking, not judging),
a bench announced did not report (it crashed), or a t is not a number.
"""

import math
import re
import sys

THRESHOLD = 4.5
CHECKS = {
    "signature_long_prefix_vs_none",
    "shared_key_long_prefix_vs_none",
    "shared_key_equal_vs_different_length",
}
NOISE_CONTROLS = {"shared_key_length_control", "signature_control"}
# Seen at 2,900-7,000; ten times the threshold is plenty to call a leak visible.
LEAKY_CONTROLS = {"control_early_exit_compare": 10 * THRESHOLD, "control_length_leaking_compare": 10 * THRESHOLD}
RESULT = re.compile(r"^bench (\w+)\s+\.\.\. : n == ([^,]+), max t = ([^,]+),")
ANNOUNCED = re.compile(r"^running (\d+) bench")


def main() -> int:
    found: dict[str, float] = {}
    announced = None
    for line in sys.stdin:
        sys.stdout.write(line)
        if match := RESULT.match(line):
            found[match.group(1)] = float(match.group(3))
        elif match := ANNOUNCED.match(line):
            announced = int(match.group(1))
    sys.stdout.flush()
    if not found:
        print("timing: no results in the output", file=sys.stderr)
        return 2
    unknown = set(found) - CHECKS - NOISE_CONTROLS - set(LEAKY_CONTROLS)
    if unknown:
        print(f"timing: benches this script does not know: {sorted(unknown)}", file=sys.stderr)
        return 2
    if announced != len(found):
        print(f"timing: {announced} benches announced, {len(found)} reported: one did not finish", file=sys.stderr)
        return 2
    not_numbers = sorted(name for name, t in found.items() if not math.isfinite(t))
    if not_numbers:
        print(f"timing: t is not a number for {not_numbers}", file=sys.stderr)
        return 2

    print("\nverdict (|t| < 4.5 = no difference seen):")
    disturbed = [name for name in NOISE_CONTROLS if name in found and abs(found[name]) >= THRESHOLD]
    blind = [name for name, floor in LEAKY_CONTROLS.items() if name in found and abs(found[name]) < floor]
    leaks = [name for name in CHECKS if name in found and abs(found[name]) >= THRESHOLD]
    for name in sorted(found):
        t = found[name]
        if name in CHECKS:
            verdict = "LEAK?" if abs(t) >= THRESHOLD else "ok"
        elif name in NOISE_CONTROLS:
            verdict = "noise control: DISTURBED" if abs(t) >= THRESHOLD else "noise control: quiet"
        else:
            verdict = "leaky control: seen" if abs(t) >= LEAKY_CONTROLS[name] else "leaky control: NOT SEEN"
        print(f"  {name:40} t = {t:+10.2f}  {verdict}")
    if disturbed or blind:
        print("timing: this run proves nothing (a control failed): repeat it on a quiet machine", file=sys.stderr)
        return 2
    missing = sorted((NOISE_CONTROLS | set(LEAKY_CONTROLS)) - set(found))
    if missing:
        print(f"timing: the controls {missing} did not run, so this run proves nothing: run every bench",
              file=sys.stderr)
        return 2
    if leaks:
        print(f"timing: a difference was seen in {sorted(leaks)}: repeat it; if it persists, it is a leak",
              file=sys.stderr)
        return 1
    print("timing: every check below |t| = 4.5")
    return 0


if __name__ == "__main__":
    sys.exit(main())
