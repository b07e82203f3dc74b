"""Mutants of the campaign (core/sim/mutate.py) reviewed by hand and judged EQUIVALENT: the
mutated code computes the same observable behaviour as the original in every state the
machines can reach (not merely on the judge's seeds). Keyed by `Mutant.key` (path, scope,
operator, the mutated code, occurrence: no line numbers, so edits elsewhere keep the keys);
tests/test_sim_mutate.py checks that every key still names a mutant. Each entry carries the
one-line reason of its reviewer; a mutant listed here that the simulator kills is reported
killed (the list never hides a kill)."""

from __future__ import annotations

EQUIVALENT: dict[str, str] = {
}
