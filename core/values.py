"""Domain values: the core's language (frozen, slotted, keyword-only, self-validating).

Ids are plain strings (Mesos wraps them in `{"value": ...}` messages; the codecs in spec/
do that). Durations are float seconds; timestamps are float seconds from the driver's clock.
`Resources` lives in resources.py.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs
from mesotron.core.resources import Resources

# ------------------------------------------------------------------ evolve (hot path)
_EVOLVERS: dict[type, Any] = {}
_NEW = object.__new__


def _evolver(cls: type) -> Any:
    """(slot getters/setters, alias -> slot setter, attributes with a validator) of a frozen
    slotted attrs class with no converter, no __attrs_post_init__ and no cached hash; None
    (use attrs.evolve) for any other class."""
    fs = attrs.fields(cls)
    slots = cls.__dict__.get("__slots__")
    if slots is None or "__dict__" in cls.__dict__ \
            or hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__") \
            or any(a.converter is not None or not a.init for a in fs) \
            or any(n.startswith("__attrs_cached_hash") for n in slots):
        return None
    try:
        desc = [cls.__dict__[a.name] for a in fs]
    except KeyError:  # a slot inherited from a base class
        return None
    return ([(d.__get__, d.__set__) for d in desc],
            {a.alias: d.__set__ for a, d in zip(fs, desc, strict=True)},
            [a for a in fs if a.validator is not None])


def evolve(inst: Any, **changes: Any) -> Any:
    """`attrs.evolve(inst, **changes)` for the frozen slotted values of the hot paths (a
    TaskStatus relayed with its agent id, an update forwarded with its latest state): the
    unchanged fields are copied slot by slot instead of going through __init__'s keyword
    arguments, and every validator of the class runs on the result, as __init__ would.
    Unknown names raise TypeError; other classes go through attrs.evolve."""
    cls = type(inst)
    ev = _EVOLVERS.get(cls, False)
    if ev is False:
        ev = _EVOLVERS[cls] = _evolver(cls)
    if ev is None:
        return attrs.evolve(inst, **changes)
    new = _NEW(cls)
    for get, put in ev[0]:
        put(new, get(inst))
    setters = ev[1]
    for k, v in changes.items():
        put = setters.get(k)
        if put is None:
            raise TypeError(f"{cls.__name__}.__init__() got an unexpected keyword argument {k!r}")
        put(new, v)
    for a in ev[2]:
        a.validator(new, a, getattr(new, a.name))
    return new


# ------------------------------------------------------------------ __init__ (hot path)
_ATTRS_INITS: dict[type, Any] = {}  # class -> the __init__ attrs generated (tests compare)


def fast_init(cls: type) -> bool:
    """Give a frozen slotted attrs class an `__init__` that stores each argument through
    its slot's descriptor, instead of attrs' (which binds `object.__setattr__` and looks
    each name up again): the same signature (keyword-only names, defaults, factories) and
    the same instance. Only for classes whose fields are all keyword-only init arguments
    with no validator, converter or self-taking factory, and no __attrs_pre_init__ /
    __attrs_post_init__ or cached hash; returns whether the class was given one (others
    keep attrs' __init__). tests/test_sim_speed.py compares both on every class given one."""
    fs = attrs.fields(cls)
    slots = cls.__dict__.get("__slots__")
    if cls in _ATTRS_INITS or slots is None or "__dict__" in cls.__dict__ \
            or hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__") \
            or any(n.startswith("__attrs_cached_hash") for n in slots) \
            or any(a.converter is not None or a.validator is not None or not a.init
                   or not a.kw_only or a.on_setattr not in (None, attrs.setters.NO_OP)
                   or (isinstance(a.default, attrs.Factory)  # type: ignore[arg-type]
                       and a.default.takes_self) for a in fs):
        return False
    ns: dict[str, Any] = {"NOTHING": attrs.NOTHING}
    params: list[str] = []
    body: list[str] = []
    for i, a in enumerate(fs):
        desc = None
        for base in cls.__mro__:
            desc = base.__dict__.get(a.name)
            if desc is not None:
                break
        if desc is None or not hasattr(desc, "__set__"):
            return False
        ns[f"_s{i}"] = desc.__set__
        arg = a.alias
        if a.default is attrs.NOTHING:
            params.append(arg)
        elif isinstance(a.default, attrs.Factory):  # type: ignore[arg-type]
            ns[f"_f{i}"] = a.default.factory
            params.append(f"{arg}=NOTHING")
            body.append(f"    if {arg} is NOTHING:\n        {arg} = _f{i}()")
        else:
            ns[f"_d{i}"] = a.default
            params.append(f"{arg}=_d{i}")
        body.append(f"    _s{i}(self, {arg})")
    src = (f"def __init__(self, *, {', '.join(params)}):\n" if params
           else "def __init__(self):\n") + ("\n".join(body) or "    pass") + "\n"
    # generated source, as attrs generates its own __init__ (names are attrs field aliases)
    exec(compile(src, f"<fast_init {cls.__module__}.{cls.__qualname__}>", "exec"), ns)  # noqa: S102
    init = ns["__init__"]
    orig = cls.__dict__["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = orig.__doc__
    init.__annotations__ = dict(getattr(orig, "__annotations__", {}))
    _ATTRS_INITS[cls] = orig
    setattr(cls, "__init__", init)  # noqa: B010
    return True


def fast_inits(namespace: dict[str, Any]) -> list[type]:
    """`fast_init` on every attrs class defined in a module (its globals()); the classes
    given one."""
    mod = namespace.get("__name__")
    return [c for c in list(namespace.values())
            if isinstance(c, type) and c.__module__ == mod and attrs.has(c) and fast_init(c)]


FrameworkID = str
AgentID = str
TaskID = str
ExecutorID = str
OfferID = str
ContainerID = str


class TaskState(enum.Enum):
    """Mesos TaskState; values are the protobuf enum numbers."""

    TASK_STAGING = 6
    TASK_STARTING = 0
    TASK_RUNNING = 1
    TASK_KILLING = 8
    TASK_FINISHED = 2
    TASK_FAILED = 3
    TASK_KILLED = 4
    TASK_LOST = 5
    TASK_ERROR = 7
    TASK_DROPPED = 9
    TASK_UNREACHABLE = 10
    TASK_GONE = 11
    TASK_GONE_BY_OPERATOR = 12
    TASK_UNKNOWN = 13

    def __repr__(self) -> str:
        return f"TaskState.{self.name}"

    @property
    def is_terminal(self) -> bool:
        return self._value_ in _TERMINAL_VALUES  # ints hash in C; members hash their names


TERMINAL_STATES = frozenset(
    {
        TaskState.TASK_FINISHED,
        TaskState.TASK_FAILED,
        TaskState.TASK_KILLED,
        TaskState.TASK_LOST,
        TaskState.TASK_ERROR,
        TaskState.TASK_DROPPED,
        TaskState.TASK_GONE,
        TaskState.TASK_GONE_BY_OPERATOR,
    }
)
_TERMINAL_VALUES = frozenset(s.value for s in TERMINAL_STATES)


class Source(enum.Enum):
    SOURCE_MASTER = 0
    SOURCE_AGENT = 1
    SOURCE_EXECUTOR = 2

    def __repr__(self) -> str:
        return f"Source.{self.name}"


class Reason(enum.Enum):
    """TaskStatus.Reason; values are the protobuf enum numbers."""

    REASON_COMMAND_EXECUTOR_FAILED = 0
    REASON_EXECUTOR_TERMINATED = 1
    REASON_EXECUTOR_UNREGISTERED = 2
    REASON_FRAMEWORK_REMOVED = 3
    REASON_GC_ERROR = 4
    REASON_INVALID_FRAMEWORKID = 5
    REASON_INVALID_OFFERS = 6
    REASON_MASTER_DISCONNECTED = 7
    REASON_CONTAINER_LIMITATION_MEMORY = 8
    REASON_RECONCILIATION = 9
    REASON_AGENT_DISCONNECTED = 10
    REASON_AGENT_REMOVED = 11
    REASON_AGENT_RESTARTED = 12
    REASON_AGENT_UNKNOWN = 13
    REASON_TASK_INVALID = 14
    REASON_TASK_UNAUTHORIZED = 15
    REASON_TASK_UNKNOWN = 16
    REASON_CONTAINER_PREEMPTED = 17
    REASON_CONTAINER_UPDATE_FAILED = 18
    REASON_CONTAINER_LIMITATION = 19
    REASON_CONTAINER_LIMITATION_DISK = 20
    REASON_CONTAINER_LAUNCH_FAILED = 21
    REASON_EXECUTOR_PREEMPTED = 22
    REASON_EXECUTOR_REGISTRATION_TIMEOUT = 23
    REASON_EXECUTOR_REREGISTRATION_TIMEOUT = 24
    REASON_TASK_GROUP_INVALID = 25
    REASON_TASK_GROUP_UNAUTHORIZED = 26
    REASON_TASK_CHECK_STATUS_UPDATED = 27
    REASON_IO_SWITCHBOARD_EXITED = 28
    REASON_TASK_HEALTH_CHECK_STATUS_UPDATED = 29
    REASON_TASK_KILLED_DURING_LAUNCH = 30
    REASON_CONTAINER_LIMITATION_EPHEMERAL_STORAGE = 31
    REASON_SLAVE_DRAINING = 32
    REASON_MAX_COMPLETION_TIME_REACHED = 33
    REASON_AGENT_DRAINING = 34
    REASON_AGENT_REREGISTERED = 35

    def __repr__(self) -> str:
        return f"Reason.{self.name}"


class Capability(enum.Enum):
    """FrameworkInfo.Capability.Type."""

    REVOCABLE_RESOURCES = 1
    TASK_KILLING_STATE = 2
    GPU_RESOURCES = 3
    SHARED_RESOURCES = 4
    PARTITION_AWARE = 5
    MULTI_ROLE = 6
    RESERVATION_REFINEMENT = 7
    REGION_AWARE = 8

    def __repr__(self) -> str:
        return f"Capability.{self.name}"


def _nonempty(_inst: Any, attribute: attrs.Attribute, value: str) -> None:  # type: ignore[type-arg]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{attribute.name} must be a non-empty string, got {value!r}")


def _nonneg(_inst: Any, attribute: attrs.Attribute, value: float) -> None:  # type: ignore[type-arg]
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value!r}")


frozen = attrs.frozen(kw_only=True, slots=True)


@attrs.frozen(kw_only=True, slots=True)
class Attribute:
    """An agent attribute: `rack:r1` (TEXT), `level:3` (SCALAR), `ports:[1-4, 6-8]` (RANGES)
    or `disks:{a,b}` (SET), as Mesos's `Attributes::parse`. RANGES and SET values are kept
    in their canonical text form (`[1-4, 6-8]`, `{a,b}`); `kind` tells them apart."""

    name: str = attrs.field(validator=_nonempty)
    value: str | float

    @property
    def kind(self) -> str:
        if not isinstance(self.value, str):
            return "SCALAR"
        if self.value.startswith("["):
            return "RANGES"
        if self.value.startswith("{"):
            return "SET"
        return "TEXT"

    def ranges(self) -> tuple[tuple[int, int], ...]:
        return _parse_ranges(str(self.value)) if self.kind == "RANGES" else ()

    def items(self) -> tuple[str, ...]:
        if self.kind != "SET":
            return ()
        return tuple(x.strip() for x in str(self.value)[1:-1].split(",") if x.strip())

    @classmethod
    def parse_many(cls, text: str) -> tuple[Attribute, ...]:
        """Parse Mesos's `--attributes` form: `rack:r1;zone:a;level:3`."""
        out: list[Attribute] = []
        for part in filter(None, (p.strip() for p in text.split(";"))):
            if ":" not in part:
                raise ValueError(f"attribute {part!r} is not name:value")
            name, raw = (s.strip() for s in part.split(":", 1))
            out.append(cls(name=name, value=canonical_attribute_value(raw)))
        return tuple(out)


def _parse_ranges(text: str) -> tuple[tuple[int, int], ...]:
    """`[1-4, 6-8]` -> ((1, 4), (6, 8)); ValueError for anything else."""
    if not (text.startswith("[") and text.endswith("]")):
        raise ValueError(f"ranges {text!r} must be written [a-b, c-d]")
    out = []
    for part in filter(None, (p.strip() for p in text[1:-1].split(","))):
        lo, sep, hi = part.partition("-")
        if not sep or not lo.strip().isdigit() or not hi.strip().isdigit():
            raise ValueError(f"bad range {part!r} in {text!r}")
        a, b = int(lo), int(hi)
        if a > b:
            raise ValueError(f"bad range {part!r} in {text!r}: begin > end")
        out.append((a, b))
    return tuple(out)


def canonical_attribute_value(raw: str) -> str | float:
    """Mesos's Attributes::parse of one value: a number is SCALAR, `[..]` RANGES, `{..}` SET,
    anything else TEXT. RANGES and SET come back in canonical text (ValueError if malformed)."""
    raw = raw.strip()
    if raw.startswith("["):
        return "[" + ", ".join(f"{a}-{b}" for a, b in _parse_ranges(raw)) + "]"
    if raw.startswith("{"):
        if not raw.endswith("}"):
            raise ValueError(f"set {raw!r} must be written {{a,b}}")
        return "{" + ",".join(x.strip() for x in raw[1:-1].split(",") if x.strip()) + "}"
    try:
        return float(raw)
    except ValueError:
        return raw


@attrs.frozen(kw_only=True, slots=True)
class KillPolicy:
    """Grace period between SIGTERM and SIGKILL; None means the agent's default (3 s)."""

    grace_period: float | None = attrs.field(default=None)


@attrs.frozen(kw_only=True, slots=True)
class CommandInfo:
    value: str | None = None
    shell: bool = True
    arguments: tuple[str, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()
    uris: tuple[str, ...] = ()
    user: str | None = None


@attrs.frozen(kw_only=True, slots=True)
class ExecutorInfo:
    """type is "DEFAULT" (the agent's built-in executor) or "CUSTOM" (framework-provided)."""

    executor_id: ExecutorID = attrs.field(validator=_nonempty)
    framework_id: FrameworkID | None = None
    command: CommandInfo | None = None
    resources: Resources = attrs.field(factory=Resources)
    type: str = attrs.field(default="CUSTOM", validator=attrs.validators.in_({"DEFAULT", "CUSTOM"}))
    name: str = ""
    data: bytes = b""
    shutdown_grace_period: float | None = None


def _nonneg_check(_i: object, a: attrs.Attribute, v: float) -> None:
    if not v >= 0:  # also rejects NaN
        raise ValueError(f"HealthCheck.{a.name} must be >= 0, got {v!r}")


@attrs.frozen(kw_only=True, slots=True)
class HealthCheck:
    """Mesos `HealthCheck` (mesos.proto): run by the command executor (core/health.py).
    `type` COMMAND (`command` run in the task's sandbox, exit 0 = healthy), HTTP (GET
    `<http_scheme>://127.0.0.1:<http_port><http_path>`, healthy if the status is in
    `http_statuses`, default 200-399) or TCP (connect to 127.0.0.1:<tcp_port>). Defaults are
    Mesos's."""

    type: str = attrs.field(validator=attrs.validators.in_(("COMMAND", "HTTP", "TCP")))
    delay_seconds: float = attrs.field(default=15.0, validator=_nonneg_check)
    interval_seconds: float = attrs.field(default=10.0, validator=_nonneg_check)
    timeout_seconds: float = attrs.field(default=20.0, validator=_nonneg_check)
    consecutive_failures: int = attrs.field(default=3, validator=_nonneg_check)
    grace_period_seconds: float = attrs.field(default=10.0, validator=_nonneg_check)
    command: CommandInfo | None = None
    http_port: int = 0
    http_path: str = "/"
    http_scheme: str = "http"
    http_statuses: tuple[int, ...] = ()
    tcp_port: int = 0

    def __attrs_post_init__(self) -> None:
        if self.type == "COMMAND" and (self.command is None or not (self.command.value or self.command.arguments)):
            raise ValueError("a COMMAND health check needs a command")
        if self.type == "HTTP" and not 0 < self.http_port < 65536:
            raise ValueError(f"an HTTP health check needs a port in 1-65535, got {self.http_port}")
        if self.type == "HTTP" and self.http_scheme not in ("http", "https"):
            raise ValueError(f"unsupported HTTP health check scheme {self.http_scheme!r}")
        if self.type == "TCP" and not 0 < self.tcp_port < 65536:
            raise ValueError(f"a TCP health check needs a port in 1-65535, got {self.tcp_port}")


@attrs.frozen(kw_only=True, slots=True)
class TaskInfo:
    """A task. Exactly one of `command` (command executor) or `executor` must be set; the
    master validates this (TASK_ERROR otherwise), so the value itself allows both/neither."""

    name: str
    task_id: TaskID = attrs.field(validator=_nonempty)
    agent_id: AgentID
    resources: Resources = attrs.field(factory=Resources)
    command: CommandInfo | None = None
    executor: ExecutorInfo | None = None
    kill_policy: KillPolicy | None = None
    labels: tuple[tuple[str, str], ...] = ()
    data: bytes = b""
    health_check: HealthCheck | None = None


@attrs.frozen(kw_only=True, slots=True)
class TaskStatus:
    """A task status. `uuid` is None for updates the master generates itself (never acked)."""

    task_id: TaskID = attrs.field(validator=_nonempty)
    state: TaskState
    source: Source | None = None
    reason: Reason | None = None
    message: str = ""
    agent_id: AgentID | None = None
    executor_id: ExecutorID | None = None
    timestamp: float = 0.0
    uuid: bytes | None = None
    healthy: bool | None = None
    data: bytes = b""
    # TaskStatus.unreachable_time: set on master-generated updates about partitioned agents
    unreachable_time: float | None = None


@attrs.frozen(kw_only=True, slots=True)
class Filters:
    """Decline filters; refuse_seconds is clamped by the allocator (default 5 s)."""

    refuse_seconds: float = 5.0


@attrs.frozen(kw_only=True, slots=True)
class FrameworkInfo:
    user: str
    name: str
    id: FrameworkID | None = None
    roles: tuple[str, ...] = ("*",)
    failover_timeout: float = attrs.field(default=0.0, validator=_nonneg_check)
    checkpoint: bool = False
    capabilities: frozenset[Capability] = frozenset()
    hostname: str = ""
    principal: str | None = None
    webui_url: str = ""

    @property
    def partition_aware(self) -> bool:
        return Capability.PARTITION_AWARE in self.capabilities

    @property
    def task_killing_state(self) -> bool:
        return Capability.TASK_KILLING_STATE in self.capabilities


@attrs.frozen(kw_only=True, slots=True)
class AgentInfo:
    hostname: str
    id: AgentID | None = None
    port: int = 5051
    resources: Resources = attrs.field(factory=Resources)
    attributes: tuple[Attribute, ...] = ()


@attrs.frozen(kw_only=True, slots=True)
class MasterInfo:
    id: str
    hostname: str
    ip: str = "127.0.0.1"
    port: int = 5050
    version: str = "1.11.0"

    @property
    def pid(self) -> str:
        return f"master@{self.ip}:{self.port}"


@attrs.frozen(kw_only=True, slots=True)
class Offer:
    id: OfferID
    framework_id: FrameworkID
    agent_id: AgentID
    hostname: str
    role: str
    resources: Resources
    attributes: tuple[Attribute, ...] = ()
    executor_ids: tuple[ExecutorID, ...] = ()
    # the framework has RESERVATION_REFINEMENT: resources go out as `reservations[]` only
    refinement: bool = False


@attrs.frozen(kw_only=True, slots=True)
class AttributeConstraint:
    """An offer constraint on agent attributes (the YARN-label style of placement).

    predicate: "exists" | "not_exists" | "equals" | "not_equals"; `value` for the last two.
    """

    attribute: str
    predicate: str = attrs.field(
        default="exists",
        validator=attrs.validators.in_({"exists", "not_exists", "equals", "not_equals"}),
    )
    value: str | None = None

    def holds(self, attributes: tuple[Attribute, ...]) -> bool:
        found = [a for a in attributes if a.name == self.attribute]
        if self.predicate == "exists":
            return bool(found)
        if self.predicate == "not_exists":
            return not found
        text = [str(a.value) for a in found]
        if self.predicate == "equals":
            return self.value in text
        return self.value not in text
