"""Reducing a condition to a guard: clauses of atoms, within bounds, never narrower than the condition."""

from __future__ import annotations

import itertools
import random

from onca.detect.index.formula import (
    MAX_ATOMS,
    MAX_CLAUSES,
    NEVER,
    AllOf,
    AnyOf,
    Atom,
    Unknown,
    reduce,
)

NAME, SOURCE, TYPE = ("eventName",), ("eventSource",), ("userIdentity", "type")


def by_size(guard):
    return float(sum(len(clause) for clause in guard))


def test_formula_conjunction_keeps_every_part():
    formula = AllOf((Atom(NAME, frozenset({"A"})), Atom(SOURCE, frozenset({"s3"}))))
    assert reduce(formula, by_size) == ({NAME: Atom(NAME, frozenset({"A"})), SOURCE: Atom(SOURCE, frozenset({"s3"}))},)


def test_formula_conjunction_distributes_over_disjunction():
    formula = AllOf(
        (AnyOf((Atom(NAME, frozenset({"A"})), Atom(TYPE, frozenset({"Root"})))), Atom(SOURCE, frozenset({"s3"})))
    )
    guard = reduce(formula, by_size)
    assert sorted(sorted(clause) for clause in guard) == [[NAME, SOURCE], [SOURCE, TYPE]]


def test_formula_same_path_intersects_and_unknown_parts_drop():
    formula = AllOf(
        (Atom(NAME, frozenset({"A", "B"})), Atom(NAME, frozenset({"B", "C"})), Unknown("unreadable"))
    )
    assert reduce(formula, by_size) == ({NAME: Atom(NAME, frozenset({"B"}))},)
    assert reduce(AllOf((Atom(NAME, frozenset({"A"})), Atom(NAME, frozenset({"B"})))), by_size) == ()


def test_formula_universal_atoms_narrow_nothing():
    everything = Atom(NAME, frozenset(), absent=True, other=True, prefixes=frozenset({""}))
    assert isinstance(reduce(everything, by_size), Unknown)
    assert reduce(AllOf((everything, Atom(SOURCE, frozenset({"s3"})))), by_size) == (
        {SOURCE: Atom(SOURCE, frozenset({"s3"}))},
    )


def test_formula_covered_clauses_drop():
    wide = Atom(NAME, frozenset({"A", "B"}))
    formula = AnyOf((wide, AllOf((Atom(NAME, frozenset({"A"})), Atom(SOURCE, frozenset({"s3"}))))))
    assert reduce(formula, by_size) == ({NAME: wide},)


def test_formula_stays_within_bounds():
    paths = [(f"k{n}",) for n in range(6)]
    parts = [AnyOf(tuple(Atom(path, frozenset({str(v)})) for path in paths[n : n + 2] for v in range(2)))
             for n in range(0, 6, 2)]
    guard = reduce(AllOf(tuple(parts)), by_size)
    assert not isinstance(guard, Unknown)
    assert len(guard) <= MAX_CLAUSES and all(len(clause) <= MAX_ATOMS for clause in guard)


def holds(guard, event):
    def atom_holds(atom, value):
        if value is None:
            return atom.absent
        if isinstance(value, str):
            return atom.text_holds(value)
        return atom.other

    return any(all(atom_holds(atom, event.get(path)) for path, atom in clause.items()) for clause in guard)


def formula_holds(formula, event):
    if isinstance(formula, Atom):
        return holds(({formula.path: formula},), event) if not formula.empty else False
    if isinstance(formula, Unknown):
        return True
    if isinstance(formula, AllOf):
        return all(formula_holds(item, event) for item in formula.items)
    return any(formula_holds(item, event) for item in formula.items)


def test_formula_guard_holds_wherever_the_formula_does():
    """Random formulas over three paths: every event the formula lets through, the guard does too."""
    rng = random.Random(11)
    paths = [NAME, SOURCE, TYPE]
    texts = ["A", "B", "AB", "Ax", ""]

    def atom():
        return Atom(
            rng.choice(paths),
            frozenset(rng.sample(texts, rng.randrange(0, 3))),
            absent=rng.random() < 0.3,
            other=rng.random() < 0.3,
            prefixes=frozenset(rng.sample(["A", "B", ""], rng.randrange(0, 2))),
            contains=frozenset([("x",)]) if rng.random() < 0.2 else frozenset(),
        )

    def formula(depth):
        if depth == 0 or rng.random() < 0.3:
            return atom() if rng.random() < 0.9 else rng.choice([Unknown("u"), NEVER])
        kind = rng.choice([AllOf, AnyOf])
        return kind(tuple(formula(depth - 1) for _ in range(rng.randrange(1, 4))))

    values = [None, 5, *texts, "xx", "Bx"]
    events = [dict(zip(paths, combo, strict=True)) for combo in itertools.product(values, repeat=3)]
    for _ in range(300):
        condition = formula(3)
        guard = reduce(condition, by_size)
        if isinstance(guard, Unknown):
            continue
        for event in events:
            if formula_holds(condition, event):
                assert holds(guard, event), (condition, guard, event)
