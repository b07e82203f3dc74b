"""Resources algebra: scalars, ranges, sets; roles, reservations, allocation role.

API CONTRACT (other modules code against exactly this):
- `Resource`: frozen attrs: name: str; scalar: float | None; ranges: tuple[tuple[int,int],...] | None;
  set: frozenset[str] | None (exactly one kind); role: str = "*"; reservations:
  tuple[Reservation, ...] = () (static/dynamic, refinement format); allocation_role: str | None.
- `Resources`: immutable, hashable collection of Resource, normalised (same name+role+
  reservations+allocation_role merge; zero scalars dropped; ranges coalesced; scalars rounded
  to 3 decimals as Mesos does).
  - `Resources.parse("cpus:4;mem:2048;ports:[31000-32000];disks:{a,b};cpus(eng):2", default_role="*")`
  - `Resources.from_json(list_of_dicts)`, `.to_json() -> list[dict]` (Mesos v1 JSON form)
  - `Resources.from_scalars({"cpus": 1, "mem": 128})`
  - `a + b`, `a - b` (raises ValueError if not a.contains(b)), `a.contains(b)`, `a.is_empty()`,
    bool(a), `a == b`, iteration over Resource
  - `a.scalar(name) -> float` (0.0 if absent), `a.scalars() -> dict[str, float]`,
    `a.names() -> set[str]`, `a.ranges(name)`, `a.set_items(name)`
  - `a.allocate(role) -> Resources` (set allocation_role), `a.unallocate()`,
    `a.allocated_to(role)`, `a.reserved(role=None)`, `a.unreserved()`,
    `a.for_role(role)` (unreserved + reserved to role)
  - `str(a)` gives the `cpus:4;mem:2048;ports:[31000-32000]` form; repr is valid Python.

Semantics and additions (beyond the contract):
- `Reservation(type="STATIC"|"DYNAMIC", role, principal=None, labels=())`; a Resource's
  `reservations` is the refinement stack (bottom first); each later role must be a strict
  sub-role of the one below ("eng" -> "eng/dev"), STATIC only below DYNAMIC (as Mesos checks).
  `Resource.role` is DERIVED: the top reservation's role, or "*" when unreserved. Passing
  `role="eng"` without reservations means a static reservation to "eng" (pre-refinement).
- Scalars are stored as integer milli-units (Mesos `convertToFixed`: llround(value * 1000)),
  so sums and differences are exact; `scalar()` returns milli / 1000.
- Ranges are inclusive (begin, end) pairs, 0 <= begin <= end < 2**64, sorted and coalesced
  (adjacent ranges merge: [1-2] + [3-4] == [1-4]). `+` on ranges/sets is union.
- One name has one kind (a SCALAR `cpus` and a RANGES `cpus` together -> ValueError, as
  Mesos's `Resources::validate`).
- `a - b` requires `a.contains(b)` exactly, key by key (name, reservations, allocation role).
- `for_role(role)` also includes resources reserved to an ancestor of `role` (Mesos
  `isAllocatableTo`). Extra helpers: `flatten()` (drop reservations), `push_reservation(r)`,
  `pop_reservation()`, `filter(pred)`, `reservation_roles()`, `allocation_roles()`,
  `to_json(refinement=False)` (pre-refinement `role`/`reservation` form), `milli(name)`.
- Text form: `name:value` items joined by `;`; value `4` / `0.5` (scalar), `[1-2,5-9]`
  (ranges), `{a,b}` (set); optional groups after the name: `(eng)` static reservation,
  `(reservations: [(DYNAMIC,eng,principal),(STATIC,x)])` general stack, `(allocated: eng)`.
  `str()` prints the canonical order (unreserved first; cpus, gpus, mem, disk, ports, rest).
- Not modelled yet: disk (persistent volumes / sources), revocable, shared, provider_id
  (from_json rejects them with a ValueError), labels in the text form.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs
from mesotron.core.errors import MesotronError


class InvalidResources(MesotronError, ValueError):
    """Invalid resources (bad text/JSON, bad field, kind clash) or `a - b` with b not in a.
    A ValueError, so callers may catch either."""


# --------------------------------------------------------------------------- values

_KINDS = ("SCALAR", "RANGES", "SET")
_MAX_RANGE = 2**64 - 1
_BAD_NAME_CHARS = re.compile(r"[\s()\[\]{}:;,]")
_NUMBER = re.compile(r"\+?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_NAME_RANK = {"cpus": 0, "gpus": 1, "mem": 2, "disk": 3, "ports": 4}


def _to_milli(value: Any, what: str) -> int:
    """Mesos convertToFixed: llround(value * 1000) (round half away from zero)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidResources(f"{what}: scalar value must be a number, got {value!r}")
    if isinstance(value, int):
        return value * 1000
    if not math.isfinite(value):
        raise InvalidResources(f"{what}: scalar value must be finite, got {value!r}")
    v = value * 1000.0
    neg = v < 0
    v = -v if neg else v
    fl = math.floor(v)
    m = int(fl) + (1 if v - fl >= 0.5 else 0)
    return -m if neg else m


def _fmt_milli(m: int) -> str:
    q, r = divmod(m, 1000)
    if not r:
        return str(q)
    return f"{q}.{r:03d}".rstrip("0")


def validate_role(role: str, what: str = "role") -> str:
    """Mesos roles::validate, plus no text-form delimiters. '*' is valid (means any/none)."""
    if not isinstance(role, str):
        raise InvalidResources(f"{what} must be a string, got {role!r}")
    if role == "*":
        return role
    if not role:
        raise InvalidResources(f"{what} must not be empty")
    if role.startswith("-") or _BAD_NAME_CHARS.search(role) or any(
        ord(c) < 32 or ord(c) == 127 for c in role
    ):
        raise InvalidResources(f"invalid {what} {role!r}")
    for part in role.split("/"):
        if part in ("", ".", "..", "*"):
            raise InvalidResources(f"invalid {what} {role!r} (bad path component {part!r})")
    return role


def _is_strict_subrole(child: str, parent: str) -> bool:
    return child.startswith(parent + "/")


def _v_type(_inst: Any, _a: Any, v: str) -> None:
    if v not in ("STATIC", "DYNAMIC"):
        raise InvalidResources(f"reservation type must be 'STATIC' or 'DYNAMIC', got {v!r}")


def _v_role(_inst: Any, _a: Any, v: str) -> None:
    validate_role(v, "reservation role")
    if v == "*":
        raise InvalidResources("cannot reserve to role '*'")


def _labels_conv(v: Any) -> tuple[tuple[str, str | None], ...]:
    if isinstance(v, Mapping):
        v = v.items()
    return tuple((str(k), None if x is None else str(x)) for k, x in v)


@attrs.frozen(kw_only=True, slots=True)
class Reservation:
    """One level of a reservation stack (Mesos `Resource.ReservationInfo`)."""

    type: str = attrs.field(validator=_v_type)
    role: str = attrs.field(validator=_v_role)
    principal: str | None = None
    labels: tuple[tuple[str, str | None], ...] = attrs.field(default=(), converter=_labels_conv)

    def _t(self) -> tuple:
        return (self.type, self.role, self.principal, self.labels)


def _resv_from_t(t: tuple) -> Reservation:
    r = _RESV_CACHE.get(t)
    if r is None:
        r = Reservation(type=t[0], role=t[1], principal=t[2], labels=t[3])
        if len(_RESV_CACHE) < 4096:  # frozen values: sharing them is safe
            _RESV_CACHE[t] = r
    return r


_RESV_CACHE: dict[tuple, Reservation] = {}


def _check_stack(stack: tuple, what: str) -> None:
    """Validate an internal reservation stack (tuple of plain tuples)."""
    prev_role = None
    prev_type = None
    for t in stack:
        if prev_role is not None and not _is_strict_subrole(t[1], prev_role):
            raise InvalidResources(
                f"{what}: reservation role {t[1]!r} must be a strict sub-role of {prev_role!r}"
            )
        if prev_type == "DYNAMIC" and t[0] == "STATIC":
            raise InvalidResources(f"{what}: a STATIC reservation cannot refine a DYNAMIC one")
        prev_role, prev_type = t[1], t[0]


def _norm_ranges(rs: Iterable[Any], what: str) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for r in rs:
        try:
            b, e = r
        except (TypeError, ValueError):
            raise InvalidResources(f"{what}: a range must be a (begin, end) pair, got {r!r}") from None
        for x in (b, e):
            if isinstance(x, bool) or not isinstance(x, int):
                raise InvalidResources(f"{what}: range bounds must be integers, got {r!r}")
        if not 0 <= b <= e <= _MAX_RANGE:
            raise InvalidResources(f"{what}: invalid range [{b}-{e}] (need 0 <= begin <= end < 2**64)")
        out.append((b, e))
    return _coalesce(out)


def _coalesce(rs: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    if len(rs) <= 1:
        return tuple(rs)
    rs.sort()
    out = [rs[0]]
    for b, e in rs[1:]:
        lb, le = out[-1]
        if b <= le + 1:
            if e > le:
                out[-1] = (lb, e)
        else:
            out.append((b, e))
    return tuple(out)


def _ranges_contain(big: tuple, small: tuple) -> bool:
    """Both sorted + coalesced. Every range of `small` lies inside one range of `big`."""
    i = 0
    n = len(big)
    for b, e in small:
        while i < n and big[i][1] < b:
            i += 1
        if i == n or big[i][0] > b or big[i][1] < e:
            return False
    return True


def _ranges_sub(big: tuple, small: tuple) -> tuple:
    """big minus small (small contained in big); both sorted + coalesced."""
    out = []
    j = 0
    m = len(small)
    for b, e in big:
        cur = b
        while j < m and small[j][0] <= e:
            sb, se = small[j]
            if sb > cur:
                out.append((cur, sb - 1))
            cur = se + 1
            j += 1
        if cur <= e:
            out.append((cur, e))
    return tuple(out)


def _ranges_add(a: tuple, b: tuple) -> tuple:
    if len(a) == 1 and len(b) == 1:
        (ab, ae), (bb, be) = a[0], b[0]
        if ae + 1 < bb:
            return (a[0], b[0])
        if be + 1 < ab:
            return (b[0], a[0])
        return ((min(ab, bb), max(ae, be)),)
    return _coalesce(list(a) + list(b))


@attrs.frozen(kw_only=True, slots=True)
class Resource:
    """One resource entry. Exactly one of scalar/ranges/set is set. `role` is derived from
    `reservations` (see module docstring); scalars are rounded to 3 decimals."""

    name: str
    scalar: float | None = None
    ranges: tuple[tuple[int, int], ...] | None = None
    set: frozenset[str] | None = None
    role: str = "*"
    reservations: tuple[Reservation, ...] = ()
    allocation_role: str | None = None

    def __attrs_post_init__(self) -> None:
        name = self.name
        if not isinstance(name, str) or not name or _BAD_NAME_CHARS.search(name):
            raise InvalidResources(f"invalid resource name {name!r}")
        kinds = sum(x is not None for x in (self.scalar, self.ranges, self.set))
        if kinds != 1:
            raise InvalidResources(f"resource {name!r}: exactly one of scalar/ranges/set must be set")
        what = f"resource {name!r}"
        if self.scalar is not None:
            m = _to_milli(self.scalar, what)
            if m < 0:
                raise InvalidResources(f"{what}: negative scalar {self.scalar!r}")
            object.__setattr__(self, "scalar", m / 1000)
        elif self.ranges is not None:
            object.__setattr__(self, "ranges", _norm_ranges(self.ranges, what))
        else:
            items = self.set
            if isinstance(items, str) or not all(isinstance(x, str) for x in items):  # type: ignore[union-attr]
                raise InvalidResources(f"{what}: set items must be strings, got {items!r}")
            object.__setattr__(self, "set", frozenset(items))  # type: ignore[arg-type]
        resv = tuple(self.reservations)
        for r in resv:
            if not isinstance(r, Reservation):
                raise InvalidResources(f"{what}: reservations must be Reservation values, got {r!r}")
        validate_role(self.role, f"{what} role")
        if not resv and self.role != "*":
            resv = (Reservation(type="STATIC", role=self.role),)
        if resv:
            if self.role not in ("*", resv[-1].role):
                raise InvalidResources(
                    f"{what}: role {self.role!r} disagrees with reservations "
                    f"(top role {resv[-1].role!r})"
                )
            _check_stack(tuple(r._t() for r in resv), what)
            object.__setattr__(self, "role", resv[-1].role)
        object.__setattr__(self, "reservations", resv)
        if self.allocation_role is not None:
            validate_role(self.allocation_role, f"{what} allocation role")

    def _kv(self) -> tuple[tuple, Any]:
        key = (self.name, tuple(r._t() for r in self.reservations), self.allocation_role)
        if self.scalar is not None:
            return key, _to_milli(self.scalar, self.name)
        if self.ranges is not None:
            return key, self.ranges
        return key, self.set

    def __str__(self) -> str:
        k, v = self._kv()
        return _item_str(k, v)


def _resource_from_kv(key: tuple, v: Any) -> Resource:
    """The Resource of one entry of a normalised `Resources` map. The entry was validated
    when it entered a `Resources` (name, reservation stack, roles, kind, normalised value),
    so the fields are set directly: the same value `Resource(...)` would build (checked by
    tests/test_resources.py), without validating it again."""
    name, stack, alloc = key
    r = _RNEW(Resource)
    _RSET(r, "name", name)
    t = type(v)
    _RSET(r, "scalar", v / 1000 if t is int else None)
    _RSET(r, "ranges", v if t is tuple else None)
    _RSET(r, "set", v if t is frozenset else None)
    _RSET(r, "role", stack[-1][1] if stack else "*")
    _RSET(r, "reservations", tuple(_resv_from_t(x) for x in stack) if stack else ())
    _RSET(r, "allocation_role", alloc)
    return r


_RNEW = object.__new__
_RSET = object.__setattr__


def _kind(v: Any) -> str:
    t = type(v)
    return "SCALAR" if t is int else "RANGES" if t is tuple else "SET"


def _kind_error(key: tuple, a: Any, b: Any) -> InvalidResources:
    return InvalidResources(
        f"resource {key[0]!r} cannot be both {_kind(a)} and {_kind(b)} "
        f"(same name, different types)"
    )


def _sort_key(key: tuple) -> tuple:
    name, stack, alloc = key
    st = tuple((t, r, p or "", repr(lb)) for t, r, p, lb in stack)
    return (alloc or "", len(stack), st, _NAME_RANK.get(name, 9), name)


def _value_str(v: Any) -> str:
    t = type(v)
    if t is int:
        return _fmt_milli(v)
    if t is tuple:
        return "[" + ",".join(f"{b}-{e}" for b, e in v) + "]"
    return "{" + ",".join(sorted(v)) + "}"


def _item_str(key: tuple, v: Any) -> str:
    name, stack, alloc = key
    s = name
    if alloc is not None:
        s += f"(allocated: {alloc})"
    if len(stack) == 1 and stack[0][0] == "STATIC" and not stack[0][3]:
        s += f"({stack[0][1]})"
    elif stack:
        parts = []
        for t, r, p, lb in stack:
            fields = [t, r] + ([p] if p is not None else [])
            parts.append("(" + ",".join(fields) + ("," + json.dumps(lb) if lb else "") + ")")
        s += "(reservations: [" + ",".join(parts) + "])"
    return f"{s}:{_value_str(v)}"


# --------------------------------------------------------------------------- Resources

_EMPTY_MAP: dict = {}


class Resources:
    """Immutable, hashable, normalised multiset of resources (see module docstring).

    Internal representation: `_m: dict[key, value]`, key = (name, reservation stack as a tuple
    of plain (type, role, principal, labels) tuples, allocation role or None); value = int
    milli-units (> 0) | tuple of coalesced (begin, end) | non-empty frozenset. Never mutated
    after construction. Construct via `Resources(iterable_of_Resource)` or the class methods.
    """

    __slots__ = ("_hash", "_m", "_sc", "_str", "_un")

    _m: dict
    _hash: int | None
    _sc: dict | None
    _str: str | None  # str(self), once it was asked (s22)
    # the value's `unallocate()`, computed once: None (not yet), _UNALLOCATED (the value
    # itself: no entry has an allocation role), or that Resources
    _un: Any

    def __init__(self, resources: Iterable[Resource] = ()) -> None:
        m: dict = {}
        for r in resources:
            if not isinstance(r, Resource):
                raise InvalidResources(f"Resources() takes Resource values, got {r!r}")
            k, v = r._kv()
            _merge_into(m, k, v)
        _SET_M(self, m)
        _SET_H(self, None)
        _SET_SC(self, None)
        _SET_UN(self, None)
        _SET_STR(self, None)

    # -- immutability ----------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Resources is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Resources is immutable")

    def __copy__(self) -> Resources:
        return self

    def __deepcopy__(self, memo: Any) -> Resources:
        return self

    def __reduce__(self) -> tuple:
        return (_from_items, (tuple(self._m.items()),))

    # -- constructors ----------------------------------------------------------------
    @classmethod
    def from_scalars(
        cls, scalars: Mapping[str, float], role: str = "*", allocation_role: str | None = None
    ) -> Resources:
        return cls(
            Resource(name=n, scalar=v, role=role, allocation_role=allocation_role)
            for n, v in scalars.items()
        )

    @classmethod
    def parse(cls, text: str, default_role: str = "*") -> Resources:
        """Parse `cpus:4;mem:2048;ports:[31000-32000];disks:{a,b};cpus(eng):2` (or a JSON
        list, as Mesos accepts). Repeated entries add up. ValueError names the bad part."""
        return _parse_text(text, default_role)

    @classmethod
    def from_json(cls, data: Any) -> Resources:
        """Mesos v1 JSON (list of Resource objects); pre-refinement (`role` + `reservation`)
        and refinement (`reservations`) formats both accepted."""
        return _from_json(data)

    def to_json(self, refinement: bool = True) -> list[dict]:
        """Mesos v1 JSON. refinement=True: `reservations` list (omitted when unreserved);
        refinement=False: `role` (always) + `reservation` for a dynamic reservation (raises
        ValueError for multi-level reservation stacks, which that format cannot express)."""
        return [_item_json(k, v, refinement) for k, v in self._sorted()]

    # -- algebra (hot path) ------------------------------------------------------------
    def __add__(self, other: Resources) -> Resources:
        if type(other) is not Resources:
            return NotImplemented
        om = other._m
        if not om:
            return self
        sm = self._m
        if not sm:
            return other
        m = sm.copy()
        _add_into(m, om)
        return _new(m) if _names_consistent(m, sm, om) else _raise_mixed(m)

    def __sub__(self, other: Resources) -> Resources:
        if type(other) is not Resources:
            return NotImplemented
        om = other._m
        if not om:
            return self
        m = self._m.copy()
        get = m.get
        for k, v in om.items():
            cur = get(k)
            if type(v) is int:
                if type(cur) is not int or cur < v:
                    raise _not_contained(self, other, k)
                d = cur - v
                if d:
                    m[k] = d
                else:
                    del m[k]
            elif type(v) is tuple:
                if type(cur) is not tuple or not _ranges_contain(cur, v):
                    raise _not_contained(self, other, k)
                rd = _ranges_sub(cur, v)
                if rd:
                    m[k] = rd
                else:
                    del m[k]
            else:
                if type(cur) is not frozenset or not v <= cur:
                    raise _not_contained(self, other, k)
                sd = cur - v
                if sd:
                    m[k] = sd
                else:
                    del m[k]
        return _new(m)

    def contains(self, other: Resources) -> bool:
        get = self._m.get
        for k, v in other._m.items():
            cur = get(k)
            if type(v) is int:
                if type(cur) is not int or cur < v:
                    return False
            elif type(v) is tuple:
                if type(cur) is not tuple or not _ranges_contain(cur, v):
                    return False
            elif type(cur) is not frozenset or not v <= cur:
                return False
        return True

    def __contains__(self, other: object) -> bool:
        if isinstance(other, Resource):
            other = Resources((other,))
        if type(other) is not Resources:
            return False
        return self.contains(other)

    def is_empty(self) -> bool:
        return not self._m

    def __bool__(self) -> bool:
        return bool(self._m)

    def __len__(self) -> int:
        return len(self._m)

    def __eq__(self, other: object) -> bool:
        if type(other) is not Resources:
            return NotImplemented
        return self is other or self._m == other._m

    def __ne__(self, other: object) -> bool:
        if type(other) is not Resources:
            return NotImplemented
        return not (self is other or self._m == other._m)

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = hash(frozenset(self._m.items()))
            _SET_H(self, h)
        return h

    def __iter__(self) -> Iterator[Resource]:
        return (_resource_from_kv(k, v) for k, v in self._sorted())

    # -- queries ----------------------------------------------------------------------
    def _scalar_map(self) -> dict:
        sc = self._sc
        if sc is None:
            sc = {}
            for k, v in self._m.items():
                if type(v) is int:
                    sc[k[0]] = sc.get(k[0], 0) + v
            _SET_SC(self, sc)
        return sc

    def milli(self, name: str) -> int:
        """Sum of scalar `name` over all roles/reservations, in exact milli-units."""
        return self._scalar_map().get(name, 0)

    def scalar(self, name: str) -> float:
        return self._scalar_map().get(name, 0) / 1000

    def scalars(self) -> dict[str, float]:
        return {n: v / 1000 for n, v in self._scalar_map().items()}

    def names(self) -> set[str]:
        return {k[0] for k in self._m}

    def ranges(self, name: str) -> tuple[tuple[int, int], ...]:
        """Union of all `name` ranges (any role), coalesced; () if none."""
        rs = [v for k, v in self._m.items() if k[0] == name and type(v) is tuple]
        if len(rs) == 1:
            return rs[0]
        return _coalesce([r for t in rs for r in t])

    def set_items(self, name: str) -> frozenset[str]:
        out: frozenset[str] = frozenset()
        for k, v in self._m.items():
            if k[0] == name and type(v) is frozenset:
                out = out | v
        return out

    def reservation_roles(self) -> set[str]:
        return {k[1][-1][1] for k in self._m if k[1]}

    def allocation_roles(self) -> set[str]:
        return {k[2] for k in self._m if k[2] is not None}

    # -- role views ---------------------------------------------------------------------
    def filter(self, pred: Callable[[Resource], bool]) -> Resources:
        return _new({k: v for k, v in self._m.items() if pred(_resource_from_kv(k, v))})

    def _filter_keys(self, pred: Callable[[tuple], bool]) -> Resources:
        m = {k: v for k, v in self._m.items() if pred(k)}
        return self if len(m) == len(self._m) else _new(m)

    def _map_keys(self, f: Callable[[tuple], tuple]) -> Resources:
        m: dict = {}
        for k, v in self._m.items():
            _merge_into(m, f(k), v)
        return _new(m)

    def _set_allocation(self, role: str | None) -> Resources:
        """Every entry's allocation role set to `role`. Entries that meet share name and
        reservation stack, so (the map being normalised) they share a kind and are
        non-empty: they merge without the checks of `_merge_into`."""
        m: dict = {}
        get = m.get
        for k, v in self._m.items():
            nk = (k[0], k[1], role)
            cur = get(nk)
            if cur is None:
                m[nk] = v
            elif type(v) is int:
                m[nk] = cur + v
            elif type(v) is tuple:
                m[nk] = _ranges_add(cur, v)
            else:
                m[nk] = cur | v
        return _new(m)

    def allocate(self, role: str) -> Resources:
        validate_role(role, "allocation role")  # '*' allowed: the default role's offers
        return self._set_allocation(role)

    def unallocate(self) -> Resources:
        u = self._un
        if u is None:
            for k in self._m:
                if k[2] is not None:
                    break
            else:
                _SET_UN(self, _UNALLOCATED)
                return self
            u = self._set_allocation(None)
            _SET_UN(u, _UNALLOCATED)
            _SET_UN(self, u)
            return u  # type: ignore[no-any-return]
        return self if u is _UNALLOCATED else u  # type: ignore[no-any-return]

    def placements(self) -> set[tuple[str | None, str | None]]:
        """The distinct (role the entry is reserved to or None, allocation role or None)
        pairs of the entries."""
        return {(k[1][-1][1] if k[1] else None, k[2]) for k in self._m}

    def allocated_to(self, role: str) -> Resources:
        return self._filter_keys(lambda k: k[2] == role)

    def reserved(self, role: str | None = None) -> Resources:
        if role is None:
            return self._filter_keys(lambda k: bool(k[1]))
        return self._filter_keys(lambda k: bool(k[1]) and k[1][-1][1] == role)

    def unreserved(self) -> Resources:
        return self._filter_keys(lambda k: not k[1])

    def for_role(self, role: str) -> Resources:
        """Unreserved + reserved to `role` or to one of its ancestors (isAllocatableTo)."""
        return self._filter_keys(
            lambda k: not k[1] or k[1][-1][1] == role or _is_strict_subrole(role, k[1][-1][1])
        )

    def flatten(self) -> Resources:
        """Drop all reservations (keeps allocation role)."""
        return self._map_keys(lambda k: (k[0], (), k[2]))

    def push_reservation(self, reservation: Reservation) -> Resources:
        t = reservation._t()
        m: dict = {}
        for k, v in self._m.items():
            stack = k[1] + (t,)
            _check_stack(stack, f"resource {k[0]!r}")
            _merge_into(m, (k[0], stack, k[2]), v)
        return _new(m)

    def pop_reservation(self) -> Resources:
        for k in self._m:
            if not k[1]:
                raise InvalidResources(f"pop_reservation: resource {k[0]!r} is not reserved")
        return self._map_keys(lambda k: (k[0], k[1][:-1], k[2]))

    # -- text ------------------------------------------------------------------------
    def _sorted(self) -> list[tuple[tuple, Any]]:
        return sorted(self._m.items(), key=lambda kv: _sort_key(kv[0]))

    def __str__(self) -> str:
        # (s22 speed) once per value: the operator's views and describe() print the same
        # task and agent values again and again
        text = self._str
        if text is None:
            text = ";".join(_item_str(k, v) for k, v in self._sorted())
            _SET_STR(self, text)
        return text

    def __repr__(self) -> str:
        s = str(self)
        try:
            ok = Resources.parse(s) == self
        except ValueError:
            ok = False
        if ok:
            return f"Resources.parse({s!r})"
        return f"Resources([{', '.join(repr(r) for r in self)}])"


_SLOTS: Any = Resources.__dict__
_SET_M = _SLOTS["_m"].__set__
_SET_H = _SLOTS["_hash"].__set__
_SET_SC = _SLOTS["_sc"].__set__
_SET_UN = _SLOTS["_un"].__set__
_SET_STR = _SLOTS["_str"].__set__
_UNALLOCATED = object()  # Resources._un of a value without allocation roles
_NEW = object.__new__


# (s22 speed) derived(fn, value): fn(value) computed once per (function, Resources value).
# Resources are immutable and each entry keeps its value alive, so an id is not reused while
# its entry is here; cleared when full, and by forget_derived() (core/sim/run.simulate calls
# it first: the mutation judge swaps a function's code in place, and a value rendered by the
# original code before a fork must not answer for the mutant).
_DERIVED: dict[tuple[int, int], tuple[Any, Any, Any]] = {}
_DERIVED_MAX = 8192


def derived(fn: Any, value: Resources) -> Any:
    """fn(value), once per (fn, value): for pure functions of a Resources value only, whose
    result the caller does not change."""
    key = (id(fn), id(value))
    hit = _DERIVED.get(key)
    if hit is not None and hit[0] is fn and hit[1] is value:
        return hit[2]
    out = fn(value)
    if len(_DERIVED) >= _DERIVED_MAX:
        _DERIVED.clear()
    _DERIVED[key] = (fn, value, out)
    return out


def forget_derived() -> None:
    _DERIVED.clear()


def _new(m: dict) -> Resources:
    """Private fast path: `m` must already be normalised and never mutated afterwards."""
    r = _NEW(Resources)
    _SET_M(r, m)
    _SET_H(r, None)
    _SET_SC(r, None)
    _SET_UN(r, None)
    _SET_STR(r, None)
    return r


def _from_items(items: tuple) -> Resources:
    return _new(dict(items))


def _merge_into(m: dict, k: tuple, v: Any) -> None:
    """Slow-path merge with normalisation and kind checks (zero/empty dropped)."""
    if not v:
        return
    cur = m.get(k)
    if cur is None:
        for k2, v2 in m.items():
            if k2[0] == k[0] and type(v2) is not type(v):
                raise _kind_error(k, v2, v)
        m[k] = v
    elif type(cur) is not type(v):
        raise _kind_error(k, cur, v)
    elif type(v) is int:
        m[k] = cur + v
    elif type(v) is tuple:
        m[k] = _ranges_add(cur, v)
    else:
        m[k] = cur | v


def _names_consistent(m: dict, sm: dict, om: dict) -> bool:
    """After a fast add: a new key for a name must not bring a second kind for it. Cheap
    check: only needed when `m` grew with keys whose names already existed."""
    if len(m) == len(sm):
        return True
    kinds: dict = {}
    for k, v in m.items():
        t = type(v)
        if kinds.setdefault(k[0], t) is not t:
            return False
    return True


def _raise_mixed(m: dict) -> Resources:
    kinds: dict = {}
    for k, v in m.items():
        if k[0] in kinds and type(kinds[k[0]]) is not type(v):
            raise _kind_error(k, kinds[k[0]], v)
        kinds[k[0]] = v
    raise AssertionError("unreachable")  # pragma: no cover


def _not_contained(a: Resources, b: Resources, k: tuple) -> InvalidResources:
    have = a._m.get(k)
    want = b._m[k]
    return InvalidResources(
        f"cannot subtract {b} from {a}: {_item_str(k, want)} not contained "
        f"(have {_item_str(k, have) if have is not None else 'none'})"
    )


# --------------------------------------------------------------------------- text parsing


def _parse_text(text: str, default_role: str) -> Resources:
    if not isinstance(text, str):
        raise InvalidResources(f"resources text must be a string, got {text!r}")
    validate_role(default_role, "default role")
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as e:
            raise InvalidResources(f"invalid resources JSON {text!r}: {e}") from None
        return _from_json(data)
    default_stack = () if default_role == "*" else (("STATIC", default_role, None, ()),)
    m: dict = {}
    for token in stripped.split(";"):
        token = token.strip()
        if not token:
            continue
        k, v = _parse_item(token, default_stack)
        _merge_into(m, k, v)
    return _new(m)


_ITEM = re.compile(r"([^\s()\[\]{}:;,]+)((?:\s*\([^()]*(?:\([^()]*\)[^()]*)*\))*)\s*:\s*(.*)", re.DOTALL)
_GROUP = re.compile(r"\(((?:[^()]|\([^()]*\))*)\)")
_RESV = re.compile(r"\(([^()]*)\)")


def _parse_item(token: str, default_stack: tuple) -> tuple[tuple, Any]:
    mt = _ITEM.fullmatch(token)
    if not mt:
        raise InvalidResources(f"invalid resource {token!r}: expected 'name:value' or 'name(role):value'")
    name, groups, value = mt.group(1), mt.group(2), mt.group(3).strip()
    stack: tuple | None = None
    alloc = None
    for g in _GROUP.findall(groups):
        g = g.strip()
        if g.startswith("allocated:"):
            alloc = validate_role(g[len("allocated:"):].strip(), f"allocation role in {token!r}")
        elif g.startswith("reservations:"):
            stack = _parse_resv_stack(g[len("reservations:"):].strip(), token)
        else:
            role = validate_role(g, f"role in {token!r}")
            stack = () if role == "*" else (("STATIC", role, None, ()),)
    if stack is None:
        stack = default_stack
    key = (name, stack, alloc)
    return key, _parse_value(name, value, token)


def _parse_resv_stack(s: str, token: str) -> tuple:
    if not (s.startswith("[") and s.endswith("]")):
        raise InvalidResources(f"invalid reservations in {token!r}: expected '[(TYPE,role[,principal]),...]'")
    out = []
    for body in _RESV.findall(s[1:-1]):
        fields = [f.strip() for f in body.split(",")]
        if len(fields) not in (2, 3) or fields[0] not in ("STATIC", "DYNAMIC"):
            raise InvalidResources(f"invalid reservation ({body}) in {token!r}: expected (TYPE,role[,principal])")
        role = validate_role(fields[1], f"reservation role in {token!r}")
        if role == "*":
            raise InvalidResources(f"invalid reservation ({body}) in {token!r}: cannot reserve to '*'")
        out.append((fields[0], role, fields[2] if len(fields) == 3 else None, ()))
    if not out:
        raise InvalidResources(f"invalid reservations in {token!r}: empty list")
    stack = tuple(out)
    _check_stack(stack, f"resource in {token!r}")
    return stack


def _parse_value(name: str, value: str, token: str) -> Any:
    if not value:
        raise InvalidResources(f"invalid resource {token!r}: missing value")
    if value[0] == "[":
        if value[-1] != "]":
            raise InvalidResources(f"invalid ranges {value!r} in {token!r}: missing ']'")
        rs = []
        for part in value[1:-1].split(","):
            part = part.strip()
            if not part:
                if value[1:-1].strip():
                    raise InvalidResources(f"invalid ranges {value!r} in {token!r}: empty range")
                continue
            b, sep, e = part.partition("-")
            b, e = b.strip(), e.strip()
            if not sep:
                e = b
            if not (b.isdigit() and e.isdigit() and b.isascii() and e.isascii()):
                raise InvalidResources(f"invalid range {part!r} in {token!r}: expected 'begin-end'")
            bi, ei = int(b), int(e)
            if bi > ei or ei > _MAX_RANGE:
                raise InvalidResources(f"invalid range {part!r} in {token!r}: need begin <= end < 2**64")
            rs.append((bi, ei))
        return _coalesce(rs)
    if value[0] == "{":
        if value[-1] != "}":
            raise InvalidResources(f"invalid set {value!r} in {token!r}: missing '}}'")
        inner = value[1:-1].strip()
        items = [x.strip() for x in inner.split(",")] if inner else []
        for x in items:
            if not x or _BAD_NAME_CHARS.search(x):
                raise InvalidResources(f"invalid set item {x!r} in {token!r}")
        return frozenset(items)
    if not _NUMBER.fullmatch(value):
        raise InvalidResources(
            f"invalid scalar value {value!r} in {token!r}: expected a non-negative number, "
            "'[begin-end,...]' or '{item,...}'"
        )
    return _to_milli(float(value), f"resource {name!r}")


# --------------------------------------------------------------------------- JSON


_TYPE_NUM = {0: "SCALAR", 1: "RANGES", 2: "SET"}


def _json_int(x: Any, what: str) -> int:
    if isinstance(x, bool):
        raise InvalidResources(f"{what}: expected an integer, got {x!r}")
    if isinstance(x, int):
        return x
    if isinstance(x, str) and x.isascii() and x.isdigit():
        return int(x)
    if isinstance(x, float) and x.is_integer():
        return int(x)
    raise InvalidResources(f"{what}: expected an integer, got {x!r}")


def _json_labels(d: Any, what: str) -> tuple:
    if d is None:
        return ()
    if not isinstance(d, dict) or not isinstance(d.get("labels", []), list):
        raise InvalidResources(f"{what}: labels must be {{'labels': [{{key, value}}]}}, got {d!r}")
    out = []
    for lb in d.get("labels", []):
        if not isinstance(lb, dict) or not isinstance(lb.get("key"), str):
            raise InvalidResources(f"{what}: invalid label {lb!r}")
        v = lb.get("value")
        out.append((lb["key"], None if v is None else str(v)))
    return tuple(out)


def _from_json(data: Any) -> Resources:
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, (list, tuple)):
        raise InvalidResources(f"resources JSON must be a list of Resource objects, got {data!r}")
    m: dict = {}
    for i, d in enumerate(data):
        k, v = _json_item(d, i)
        _merge_into(m, k, v)
    return _new(m)


def _json_item(d: Any, i: int) -> tuple[tuple, Any]:
    if not isinstance(d, dict):
        raise InvalidResources(f"resource #{i}: expected an object, got {d!r}")
    name = d.get("name")
    what = f"resource #{i} ({name!r})"
    if not isinstance(name, str) or not name or _BAD_NAME_CHARS.search(name):
        raise InvalidResources(f"resource #{i}: invalid or missing name {name!r}")
    for unsupported in ("disk", "revocable", "shared", "provider_id"):
        if d.get(unsupported):
            raise InvalidResources(f"{what}: field {unsupported!r} is not supported")
    typ: Any = d.get("type")
    if isinstance(typ, int) and not isinstance(typ, bool):
        typ = _TYPE_NUM.get(typ, typ)
    if typ not in _KINDS:
        raise InvalidResources(f"{what}: type must be SCALAR, RANGES or SET, got {d.get('type')!r}")
    # reservations
    stack: tuple
    if d.get("reservations"):
        rl = d["reservations"]
        if not isinstance(rl, list):
            raise InvalidResources(f"{what}: reservations must be a list")
        out = []
        for r in rl:
            if not isinstance(r, dict):
                raise InvalidResources(f"{what}: invalid reservation {r!r}")
            rt: Any = r.get("type", "DYNAMIC" if "principal" in r else None)
            if isinstance(rt, int) and not isinstance(rt, bool):
                rt = {1: "STATIC", 2: "DYNAMIC"}.get(rt, rt)
            if rt not in ("STATIC", "DYNAMIC"):
                raise InvalidResources(f"{what}: reservation type must be STATIC or DYNAMIC, got {r!r}")
            role = r.get("role")
            if not isinstance(role, str):
                raise InvalidResources(f"{what}: reservation without a role: {r!r}")
            validate_role(role, f"{what} reservation role")
            if role == "*":
                raise InvalidResources(f"{what}: cannot reserve to role '*'")
            p = r.get("principal")
            if p is not None and not isinstance(p, str):
                raise InvalidResources(f"{what}: principal must be a string, got {p!r}")
            out.append((rt, role, p, _json_labels(r.get("labels"), what)))
        stack = tuple(out)
        _check_stack(stack, what)
    else:
        role = d.get("role", "*")
        if not isinstance(role, str):
            raise InvalidResources(f"{what}: role must be a string, got {role!r}")
        validate_role(role, f"{what} role")
        rv = d.get("reservation")
        if role == "*":
            if rv is not None:
                raise InvalidResources(f"{what}: a dynamic reservation needs a role other than '*'")
            stack = ()
        elif rv is None:
            stack = (("STATIC", role, None, ()),)
        else:
            if not isinstance(rv, dict):
                raise InvalidResources(f"{what}: invalid reservation {rv!r}")
            p = rv.get("principal")
            if p is not None and not isinstance(p, str):
                raise InvalidResources(f"{what}: principal must be a string, got {p!r}")
            stack = (("DYNAMIC", role, p, _json_labels(rv.get("labels"), what)),)
    alloc = None
    ai = d.get("allocation_info")
    if ai is not None:
        if not isinstance(ai, dict):
            raise InvalidResources(f"{what}: allocation_info must be an object")
        alloc = ai.get("role")
        if alloc is not None:
            validate_role(alloc, f"{what} allocation role")
    key = (name, stack, alloc)
    # value
    if typ == "SCALAR":
        sc = d.get("scalar")
        if not isinstance(sc, dict) or "value" not in sc:
            raise InvalidResources(f"{what}: SCALAR needs 'scalar': {{'value': number}}")
        val = sc["value"]
        if isinstance(val, str):
            if not _NUMBER.fullmatch(val.strip()):
                raise InvalidResources(f"{what}: invalid scalar value {val!r}")
            val = float(val)
        mv = _to_milli(val, what)
        if mv < 0:
            raise InvalidResources(f"{what}: negative scalar {val!r}")
        return key, mv
    if typ == "RANGES":
        rg = d.get("ranges", {})
        if not isinstance(rg, dict) or not isinstance(rg.get("range", []), list):
            raise InvalidResources(f"{what}: RANGES needs 'ranges': {{'range': [{{begin, end}}]}}")
        rs = []
        for r in rg.get("range", []):
            if not isinstance(r, dict) or "begin" not in r or "end" not in r:
                raise InvalidResources(f"{what}: invalid range {r!r}")
            rs.append((_json_int(r["begin"], what), _json_int(r["end"], what)))
        return key, _norm_ranges(rs, what)
    st = d.get("set", {})
    if not isinstance(st, dict) or not isinstance(st.get("item", []), list):
        raise InvalidResources(f"{what}: SET needs 'set': {{'item': [strings]}}")
    items = st.get("item", [])
    if not all(isinstance(x, str) for x in items):
        raise InvalidResources(f"{what}: set items must be strings, got {items!r}")
    return key, frozenset(items)


def _resv_json(t: tuple) -> dict:
    typ, role, p, labels = t
    d: dict = {"type": typ, "role": role}
    if p is not None:
        d["principal"] = p
    if labels:
        d["labels"] = {"labels": [_label_json(k, v) for k, v in labels]}
    return d


def _label_json(k: str, v: str | None) -> dict:
    return {"key": k} if v is None else {"key": k, "value": v}


def _item_json(key: tuple, v: Any, refinement: bool) -> dict:
    name, stack, alloc = key
    t = type(v)
    d: dict = {"name": name}
    if t is int:
        d["type"] = "SCALAR"
        d["scalar"] = {"value": v / 1000}
    elif t is tuple:
        d["type"] = "RANGES"
        d["ranges"] = {"range": [{"begin": b, "end": e} for b, e in v]}
    else:
        d["type"] = "SET"
        d["set"] = {"item": sorted(v)}
    if refinement:
        if stack:
            d["reservations"] = [_resv_json(x) for x in stack]
    else:
        if len(stack) > 1:
            raise InvalidResources(
                f"resource {_item_str(key, v)}: refined reservations cannot be expressed in "
                "the pre-refinement format"
            )
        d["role"] = stack[0][1] if stack else "*"
        if stack and stack[0][0] == "DYNAMIC":
            rv: dict = {}
            if stack[0][2] is not None:
                rv["principal"] = stack[0][2]
            if stack[0][3]:
                rv["labels"] = {"labels": [_label_json(k, x) for k, x in stack[0][3]]}
            d["reservation"] = rv
    if alloc is not None:
        d["allocation_info"] = {"role": alloc}
    return d


def sum_shared(items: Iterable[Resources],
               each: Callable[[Resources], Resources] | None = None) -> Resources:
    """The sum of `each(r)` (else `r`) over `items`, for lists in which many entries are the
    same memoised value (the frameworks of one agent, the tasks of one template): each
    distinct value (by identity) is mapped once and its k copies are added by doubling
    (log k additions; `+` is associative and commutative)."""
    groups: dict[int, list[Any]] = {}
    for r in items:
        g = groups.get(id(r))
        if g is None:
            groups[id(r)] = [r, 1]
        else:
            g[1] += 1
    total = Resources()
    for r, k in groups.values():
        x = each(r) if each is not None else r
        total = total + (x if k == 1 else _times(x, k))
    return total


# k copies of a value, as sum_shared needs them (frozen values: sharing them is safe): every
# agent re-registering after a failover reports the same task templates in the same counts
_TIMES_CACHE: dict[tuple[Resources, int], Resources] = {}


def _times(x: Resources, k: int) -> Resources:
    """x + x + ... (k copies, k >= 1) by doubling (log k additions), memoised (bounded)."""
    key = (x, k)
    hit = _TIMES_CACHE.get(key)
    if hit is not None:
        return hit
    total = Resources()
    n = k
    while n:
        if n & 1:
            total = total + x
        n >>= 1
        if n:
            x = x + x
    if len(_TIMES_CACHE) < 4096:
        _TIMES_CACHE[key] = total
    return total


def _add_into(m: dict, om: dict) -> bool:
    """Add the resources map `om` into `m` in place (`+` and `sum_of`); True when `om`
    brought a name `m` did not have. Mixing kinds under one key raises."""
    grew = False
    get = m.get
    for k, v in om.items():
        cur = get(k)
        if cur is None:
            m[k] = v
            grew = True
        elif type(v) is int:
            if type(cur) is not int:
                raise _kind_error(k, cur, v)
            m[k] = cur + v
        elif type(v) is tuple:
            if type(cur) is not tuple:
                raise _kind_error(k, cur, v)
            m[k] = _ranges_add(cur, v)
        else:
            if type(cur) is not frozenset:
                raise _kind_error(k, cur, v)
            m[k] = cur | v
    return grew


def sum_of(parts: Iterable[Resources]) -> Resources:
    """`Resources() + p1 + p2 + ...` (the same value), merging every part into one dict
    instead of building a value per `+` (the simulator's books sum a few parts per agent
    after each offer). As with `+`, a lone non-empty part is returned as it is. Mixing kinds
    under one name raises as `+` does."""
    first: Resources | None = None
    m: dict | None = None
    grew = False
    for p in parts:
        om = p._m
        if not om:
            continue
        if first is None:
            first = p
            continue
        if m is None:
            m = first._m.copy()
        if _add_into(m, om):
            grew = True
    if m is None:
        return first if first is not None else _NO_RESOURCES
    if grew:  # a new key may bring a second kind under a name (as _names_consistent)
        kinds: dict = {}
        for k, v in m.items():
            if kinds.setdefault(k[0], type(v)) is not type(v):
                _raise_mixed(m)
    return _new(m)


_NO_RESOURCES = Resources()
