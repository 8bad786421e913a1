"""Calls in a rule's expressions: reads of the event, builtins, regular expressions, lookups in a dict
display, and helper functions (read through the analyser's ``call_helper``)."""

from __future__ import annotations

import ast
import builtins
import collections.abc
import functools
import re
import typing
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from onca.detect.index.facts import (
    ANY_PREFIX,
    EXACT_TYPES,
    Facts,
    SomeText,
    Term,
    Value,
    constant_facts,
    safe_facts,
    text_term,
)
from onca.detect.index.formula import NEVER, Formula, Unknown, all_of, any_of
from onca.detect.index.library import RAISES, REGEX_METHODS, pattern_literals, regex_holds

if TYPE_CHECKING:
    from onca.detect.index.expressions import Expressions

# The one deep_get every panther helper module carries; recognised by its exact syntax tree.
_DEEP_GET = ast.parse(
    "def deep_get(dictionary, *keys, default=None):\n"
    "    out = reduce(lambda d, key: d.get(key, default) if isinstance(d, Mapping) else default, keys, dictionary)\n"
    "    if out is None:\n"
    "        return default\n"
    "    return out\n"
).body[0]
_MAPPINGS = (collections.abc.Mapping, typing.Mapping)
MAX_UNROLLED = 16  # strings a generator's element is read for, one by one
Env = dict[str, Term]


def call_term(ex: Expressions, node: ast.Call, env: Env) -> Term:
    func = node.func
    if any(isinstance(arg, ast.Starred) for arg in node.args) or any(k.arg is None for k in node.keywords):
        return ex.unknown(node)
    if isinstance(func, ast.Attribute):
        regex = _regex(ex, node, env)
        if regex is not None:
            return regex
        base = ex.term(func.value, env)
        if base.kind in ("event", "mapping"):
            return _event_method(ex, node, env, udm=base.kind == "event")
        if base.kind == "value" and func.attr in ("startswith", "endswith"):
            return _text_test(ex, node, base, env)
        if base.kind == "strings" and base.shape is dict and func.attr == "get":
            return _table_get(ex, node, base, env)
        return ex.unknown(node)
    if not isinstance(func, ast.Name) or func.id in env:
        return ex.unknown(node)
    found, function = ex.global_value(func.id)
    if not found:
        return ex.unknown(node, "calls a name the index cannot pin down")
    if function is builtins.all or function is builtins.any:
        return _all_any(ex, node, env, every=function is builtins.all)
    if function is builtins.bool and len(node.args) == 1 and not node.keywords:
        inner = ex.term(node.args[0], env).facts
        return Term(Facts(inner.true, inner.false, inner.risk, NEVER))
    if function is builtins.isinstance:
        return _isinstance(ex, node, env)
    arguments = [ex.term(arg, env) for arg in node.args]
    if _is_deep_get(ex, function):
        if not arguments or arguments[0].kind not in ("event", "mapping"):
            return ex.unknown(node)
        return _deep_get(ex, node, node.args[1:], env)
    if node.keywords or not all(argument.kind in ("event", "mapping") for argument in arguments):
        return ex.unknown(node, "calls a helper with something other than the event")
    return ex.call_helper(function, node, arguments)


def library_call(ex: Expressions, node: ast.AST, env: Env) -> tuple[Any, Term] | None:
    """``f(value)`` for a standard-library function whose exceptions are known (library.RAISES)."""
    if (
        not isinstance(node, ast.Call)
        or node.keywords
        or len(node.args) != 1
        or not isinstance(node.func, ast.Name)
        or node.func.id in env
    ):
        return None
    found, function = ex.global_value(node.func.id)
    known = next((f for f in RAISES if f is function), None) if found else None
    return None if known is None else (known, ex.term(node.args[0], env))


# Reads of the event
def _event_method(ex: Expressions, node: ast.Call, env: Env, *, udm: bool) -> Term:
    name = cast(ast.Attribute, node.func).attr
    if name == "deep_get":
        return _deep_get(ex, node, node.args, env)
    if name == "udm" and udm and len(node.args) == 1 and not node.keywords:
        key = ex.key_of(node.args[0], env)
        if key is not None:
            return ex.udm(node, key)
    keywords = {keyword.arg: keyword.value for keyword in node.keywords}
    if name != "get" or not 1 <= len(node.args) <= 2 or set(keywords) - {"default"}:
        return ex.unknown(node)
    key = ex.key_of(node.args[0], env)
    if key is None or (len(node.args) == 2 and keywords):
        return ex.unknown(node)
    default = ex.default_of(node.args[1] if len(node.args) == 2 else keywords.get("default"), env)
    if default is None:
        return ex.unknown(node)
    # A present null reads None; only a missing key gives the default.
    risk, value = default
    return ex.value_term(node, Value((key,), (None, value)), risk=risk)


def _deep_get(ex: Expressions, node: ast.Call, key_nodes: list[ast.expr], env: Env) -> Term:
    keys = [ex.key_of(arg, env) for arg in key_nodes]
    keywords = {keyword.arg: keyword.value for keyword in node.keywords}
    if not keys or None in keys or set(keywords) - {"default"}:
        return ex.unknown(node)
    default = ex.default_of(keywords.get("default"), env)
    if default is None:
        return ex.unknown(node)
    risk, value = default
    return ex.value_term(node, Value(tuple(cast(list[str], keys)), (value,)), risk=risk)


def _is_deep_get(ex: Expressions, function: Any) -> bool:
    if getattr(function, "__name__", None) != "deep_get":
        return False
    try:
        tree = ex.sources.function_tree(function)
    except Exception:  # noqa: BLE001 - not readable: not the deep_get we know
        return False
    body = tree.body[1:] if docstring(tree) else tree.body
    plain = ast.FunctionDef(tree.name, _bare_arguments(tree.args), body, [], None, None)
    reference = ast.FunctionDef(_DEEP_GET.name, _bare_arguments(_DEEP_GET.args), _DEEP_GET.body, [], None, None)
    helper_globals = function.__globals__
    return (
        ast.dump(plain) == ast.dump(reference)
        and helper_globals.get("reduce") is functools.reduce
        and any(helper_globals.get("Mapping") is mapping for mapping in _MAPPINGS)
        and "isinstance" not in helper_globals
    )


# Text
def _text_test(ex: Expressions, node: ast.Call, base: Term, env: Env) -> Term:
    if len(node.args) != 1 or node.keywords:
        return ex.unknown(node)
    argument = ex.term(node.args[0], env)
    if argument.kind != "strings" or argument.shape not in (str, tuple):
        return ex.unknown(node)
    assert base.value is not None
    risk = any_of(base.facts.risk, argument.facts.risk, base.value.not_text_atom())
    facts = safe_facts(ex.where(node), risk=risk)
    if cast(ast.Attribute, node.func).attr == "startswith" and argument.strings:
        facts = replace(facts, true=base.value.prefix_atom(argument.strings))
    return Term(facts)


def _regex(ex: Expressions, node: ast.Call, env: Env) -> Term | None:
    """``PATTERN.search/match/fullmatch(text)`` (a compiled pattern bound once) or
    ``re.search/match/fullmatch("pattern", text)``; None for any other call."""
    func = cast(ast.Attribute, node.func)
    if func.attr not in REGEX_METHODS or node.keywords:
        return None
    pattern: re.Pattern[str] | None = None
    if ex.module_of(func.value) is re and len(node.args) == 2:
        source = ex.term(node.args[0], env)
        if source.kind == "strings" and source.shape is str:
            try:
                pattern = re.compile(next(iter(source.strings)))
            except re.error:
                return None
    elif isinstance(func.value, ast.Name) and func.value.id not in env and len(node.args) == 1:
        found, value = ex.global_value(func.value.id)
        if found and isinstance(value, re.Pattern) and isinstance(value.pattern, str):
            pattern = value
    if pattern is None:
        return None
    subject = ex.term(node.args[-1], env)
    where = ex.where(node)
    other = Unknown(f"{where} gives a match or None, not a bool")
    weak = Unknown(f"{where} narrows no key to a set of values", weak=True)
    method = func.attr
    if subject.kind == "strings" and subject.shape is str:
        matched = regex_holds(pattern, method, next(iter(subject.strings)))
        return Term(Facts(weak if matched else NEVER, NEVER if matched else weak, subject.facts.risk, other))
    if subject.kind != "value":
        return ex.unknown(node, parts=(subject,))
    value = subject.value
    assert value is not None
    literals = pattern_literals(pattern, method)
    holds = functools.partial(regex_holds, pattern, method)
    if literals.prefix:
        true = value.text_atom(holds, prefixes=frozenset([literals.prefix]))
    elif literals.runs:
        true = value.text_atom(holds, contains=frozenset([literals.runs]))
    else:
        true = value.text_atom(holds, prefixes=ANY_PREFIX)
    # Anything but text raises TypeError.
    risk = any_of(subject.facts.risk, value.not_text_atom())
    return Term(Facts(true, weak, risk, other))


# Builtins
def _all_any(ex: Expressions, node: ast.Call, env: Env, *, every: bool) -> Term:
    if len(node.args) != 1 or node.keywords:
        return ex.unknown(node)
    argument = node.args[0]
    if isinstance(argument, ast.GeneratorExp):
        return _all_any_generator(ex, node, argument, env, every=every)
    if not isinstance(argument, ast.List | ast.Tuple):
        return ex.unknown(node)
    # The list is built first: every element is evaluated whatever the others give.
    parts = [ex.term(element, env).facts for element in argument.elts]
    risk = any_of(*(part.risk for part in parts))
    return _all_any_of(
        [part.true for part in parts], [part.false for part in parts], risk, bool(parts), every=every
    )


def _all_any_generator(ex: Expressions, node: ast.Call, generator: ast.GeneratorExp, env: Env, *, every: bool) -> Term:
    """``any(<element> for NAME in <constant strings>)``: the element is read once, NAME standing for any
    of the strings; generators stop early, so each element may or may not be evaluated."""
    if len(generator.generators) != 1:
        return ex.unknown(node)
    loop = generator.generators[0]
    if loop.ifs or loop.is_async or not isinstance(loop.target, ast.Name):
        return ex.unknown(node)
    iterable = ex.term(loop.iter, env)
    if iterable.kind != "strings":
        return ex.unknown(node, parts=(iterable,))
    # A string constant is one string (iterated by character); a collection, its strings.
    nonempty = bool(iterable.strings) and (iterable.shape is not str or "" not in iterable.strings)
    name = loop.target.id
    if iterable.shape is not str and len(iterable.strings) <= MAX_UNROLLED:
        # Read the element once per string: what each needs.
        items = [ex.term(ast.Constant(text), env) for text in sorted(iterable.strings)]
    else:
        items = [text_term(ex.where(loop.target), SomeText(""))]  # any of them
    elements = [ex.term(generator.elt, {**env, name: item}).facts for item in items]
    risk = any_of(iterable.facts.risk, *(element.risk for element in elements)) if nonempty else iterable.facts.risk
    return _all_any_of(
        [element.true for element in elements], [element.false for element in elements], risk, nonempty, every=every
    )


def _all_any_of(trues: list[Formula], falses: list[Formula], risk: Formula, nonempty: bool, *, every: bool) -> Term:
    if every:
        true = all_of(*trues) if nonempty else Unknown("all() of nothing is true", weak=True)
        return Term(Facts(true, any_of(*falses) if nonempty else NEVER, risk, NEVER))
    false = all_of(*falses) if nonempty else Unknown("any() of nothing is false", weak=True)
    return Term(Facts(any_of(*trues) if nonempty else NEVER, false, risk, NEVER))


def _isinstance(ex: Expressions, node: ast.Call, env: Env) -> Term:
    """``isinstance(NAME, Class)`` of a global bound for good to a value of a built-in type, against
    classes bound for good: known now."""
    if len(node.args) != 2 or node.keywords:
        return ex.unknown(node)
    subject, classes_node = node.args
    if not isinstance(subject, ast.Name) or subject.id in env:
        return ex.unknown(node)
    found, value = ex.global_value(subject.id)
    if not found or type(value) not in EXACT_TYPES:
        return ex.unknown(subject, "is a name the index cannot pin down to a value of a built-in type")
    names = classes_node.elts if isinstance(classes_node, ast.Tuple) else [classes_node]
    classes = []
    for name in names:
        known, cls = ex.global_value(name.id) if isinstance(name, ast.Name) and name.id not in env else (False, None)
        if not known or not isinstance(cls, type) or type(cls) is not type:
            return ex.unknown(node)
        classes.append(cls)
    return Term(constant_facts(isinstance(value, tuple(classes)), ex.where(node)))


def _table_get(ex: Expressions, node: ast.Call, table: Term, env: Env) -> Term:
    """``{"k": ...}.get(value)``: truthy only when the value is one of the keys (if every value in the
    dict is truthy); raises for an unhashable value."""
    if node.keywords or not 1 <= len(node.args) <= 2:
        return ex.unknown(node)
    default_falsy = len(node.args) == 1 or (
        isinstance(node.args[1], ast.Constant) and not node.args[1].value
    )
    if len(node.args) == 2 and not isinstance(node.args[1], ast.Constant):
        return ex.unknown(node)
    key = ex.term(node.args[0], env)
    if key.kind != "value":
        return ex.unknown(node, parts=(key,))
    assert key.value is not None
    where = ex.where(node)
    weak = Unknown(f"{where} narrows no key to a set of values", weak=True)
    true = key.value.equal_atom(table.strings) if table.truthy and default_falsy else weak
    risk = any_of(table.facts.risk, key.facts.risk, key.value.unhashable_atom())
    return Term(Facts(true, weak, risk, Unknown(f"{where} is a value from a dict, not a bool")))


def docstring(tree: ast.FunctionDef) -> bool:
    first = tree.body[0] if tree.body else None
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )


def _bare_arguments(arguments: ast.arguments) -> ast.arguments:
    """The parameters without annotations, which do not change what the function does."""

    def bare(arg: ast.arg | None) -> ast.arg | None:
        return None if arg is None else ast.arg(arg.arg)

    return ast.arguments(
        posonlyargs=[bare(a) for a in arguments.posonlyargs],
        args=[bare(a) for a in arguments.args],
        vararg=bare(arguments.vararg),
        kwonlyargs=[bare(a) for a in arguments.kwonlyargs],
        kw_defaults=arguments.kw_defaults,
        kwarg=bare(arguments.kwarg),
        defaults=arguments.defaults,
    )

