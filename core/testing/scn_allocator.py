"""Scenario driver for the allocator (`machine: allocator`).

Commands (resources in the text form, e.g. `cpus:2;mem:1024`; lists comma-separated):
  config min_allocatable="cpus:0.01|mem:32" refuse_default=5 refuse_max=31536000 weights=r=2
                                  (re-creates the allocator; use it first)
  agent <id> <total> [attributes=rack:r1;zone:a] [used=<fw>=<res>|<fw>=<res>]
  remove-agent|activate-agent|deactivate-agent <id>
  framework <id> roles=r1,r2 [suppressed=r1] [inactive] [constraints=<role>/<attr>/<pred>[/<v>],..]
                                  [used=<agent>=<res>|<agent>=<res>]
  update-framework <id> roles=.. [suppressed=..] [constraints=..]
  remove-framework|activate-framework|deactivate-framework <id>
  allocate                        one cycle; prints `<fw> <- <agent> [<role>] <resources>`
  recover <fw> <agent> <res> [refuse=<s>]
  decline <fw> <agent> [refuse=<s>]   recover everything <fw> holds on <agent>
  accept <fw> <agent> <used res> [refuse=<s>]  keep <used res>; the rest counts as declined
  suppress|revive <fw> [roles=r1,r2]
  weights r1=2 r2=1 ; quota <role> <res>
  shares                          dominant shares (frameworks, then roles)
  filters                         unexpired decline filters
  tick <seconds> ; describe
Every `allocate` runs in explain mode and fails the scenario if DrfOrder is violated.
"""

from __future__ import annotations

from mesotron.core.allocator import machine as al
from mesotron.core.allocator.drf import drf_order_holds
from mesotron.core.resources import Resources
from mesotron.core.values import Attribute, AttributeConstraint


def _res(text: str) -> Resources:
    return Resources.parse(text)


def _list(text: str | None) -> tuple[str, ...]:
    return tuple(x for x in (text or "").split(",") if x)


def _fmt_res(res: Resources) -> str:
    return str(res.unallocate()) or "-"


def _num(x: float) -> str:
    r = round(x, 4)
    return str(int(r)) if r == int(r) else f"{r:g}"


class Driver:
    def __init__(self) -> None:
        self.now = 0.0
        self.config = al.AllocatorConfig(explain=True)
        self.a = al.Allocator(self.config)

    def step(self, inp: object) -> list[al.Allocation]:
        return self.a.step(self.now, inp)

    def run(self, command: str, args: list[str], kwargs: dict[str, str]) -> list[str]:
        handler = getattr(self, "do_" + command.replace("-", "_"), None)
        if handler is None:
            raise ValueError(f"unknown command {command!r}")
        return handler(args, kwargs)

    # ------------------------------------------------------------------ commands
    def do_config(self, args: list[str], kw: dict[str, str]) -> list[str]:
        fields: dict = {"explain": True}
        if "min_allocatable" in kw:
            fields["min_allocatable"] = tuple(
                _res(x) for x in kw["min_allocatable"].split("|") if x)
        if "refuse_default" in kw:
            fields["refuse_seconds_default"] = float(kw["refuse_default"])
        if "refuse_max" in kw:
            fields["refuse_seconds_max"] = float(kw["refuse_max"])
        if "weights" in kw:
            fields["weights"] = tuple(
                (p.split("=")[0], float(p.split("=")[1])) for p in _list(kw["weights"]))
        self.config = al.AllocatorConfig(**fields)
        self.a = al.Allocator(self.config)
        return []

    def do_agent(self, args: list[str], kw: dict[str, str]) -> list[str]:
        used = []
        for part in (kw.get("used") or "").split("|"):
            if part:
                fid, res = part.split("=", 1)
                used.append((fid, _res(res)))
        return self._out(self.step(al.AddAgent(
            agent_id=args[0], hostname=args[0], total=_res(args[1]),
            attributes=Attribute.parse_many(kw.get("attributes", "")), used=tuple(used))))

    def do_remove_agent(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._out(self.step(al.RemoveAgent(agent_id=args[0])))

    def do_activate_agent(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._out(self.step(al.ActivateAgent(agent_id=args[0])))

    def do_deactivate_agent(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._out(self.step(al.DeactivateAgent(agent_id=args[0])))

    @staticmethod
    def _constraints(text: str | None) -> tuple:
        by_role: dict[str, list[AttributeConstraint]] = {}
        for item in _list(text):
            parts = item.split("/")
            c = AttributeConstraint(attribute=parts[1], predicate=parts[2],
                                    value=parts[3] if len(parts) > 3 else None)
            by_role.setdefault(parts[0], []).append(c)
        return tuple((r, tuple(cs)) for r, cs in by_role.items())

    def do_framework(self, args: list[str], kw: dict[str, str]) -> list[str]:
        used = []
        for part in (kw.get("used") or "").split("|"):
            if part:
                aid, res = part.split("=", 1)
                used.append((aid, _res(res)))
        return self._out(self.step(al.AddFramework(
            framework_id=args[0], roles=_list(kw.get("roles", "*")),
            suppressed_roles=_list(kw.get("suppressed")),
            constraints=self._constraints(kw.get("constraints")),
            active="inactive" not in args[1:], used=tuple(used))))

    def do_update_framework(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._out(self.step(al.UpdateFramework(
            framework_id=args[0], roles=_list(kw.get("roles", "*")),
            suppressed_roles=_list(kw.get("suppressed")),
            constraints=self._constraints(kw.get("constraints")))))

    def do_remove_framework(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._out(self.step(al.RemoveFramework(framework_id=args[0])))

    def do_activate_framework(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._out(self.step(al.ActivateFramework(framework_id=args[0])))

    def do_deactivate_framework(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._out(self.step(al.DeactivateFramework(framework_id=args[0])))

    def do_allocate(self, args: list[str], kw: dict[str, str]) -> list[str]:
        effects = self.step(al.Allocate())
        for d in self.a.last_cycle_decisions:
            if not drf_order_holds(d):
                raise AssertionError(f"DrfOrder violated: {d!r}")
        return self._out(effects)

    def _refuse(self, kw: dict[str, str]) -> float | None:
        return float(kw["refuse"]) if "refuse" in kw else None

    def do_recover(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._out(self.step(al.RecoverResources(
            framework_id=args[0], agent_id=args[1], resources=_res(args[2]),
            refuse_seconds=self._refuse(kw))))

    def _held(self, fid: str, aid: str) -> Resources:
        return self.a.allocated(aid).get(fid, Resources())

    def do_decline(self, args: list[str], kw: dict[str, str]) -> list[str]:
        held = self._held(args[0], args[1])
        return self._out(self.step(al.RecoverResources(
            framework_id=args[0], agent_id=args[1], resources=held,
            refuse_seconds=self._refuse(kw))))

    def do_accept(self, args: list[str], kw: dict[str, str]) -> list[str]:
        held = self._held(args[0], args[1])
        roles = sorted(held.allocation_roles()) or ["*"]
        rest = held - al.allocate_to(_res(args[2]), roles[0])
        return self._out(self.step(al.RecoverResources(
            framework_id=args[0], agent_id=args[1], resources=rest,
            refuse_seconds=self._refuse(kw))))

    def do_suppress(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._out(self.step(al.SuppressOffers(framework_id=args[0],
                                                     roles=_list(kw.get("roles")))))

    def do_revive(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._out(self.step(al.ReviveOffers(framework_id=args[0],
                                                   roles=_list(kw.get("roles")))))

    def do_weights(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._out(self.step(al.UpdateWeights(
            weights=tuple((r, float(w)) for r, w in kw.items()))))

    def do_quota(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self._out(self.step(al.UpdateQuota(
            role=args[0], guarantee=_res(args[1]) if len(args) > 1 else Resources())))

    def do_shares(self, args: list[str], kw: dict[str, str]) -> list[str]:
        out = [f"framework {f} {_num(self.a.dominant_share(f))}" for f in self.a.framework_ids()]
        roles = sorted({r for f in self.a.framework_ids()
                        for r in self.a._frameworks[f].roles})
        out += [f"role {r} {_num(self.a.role_share(r))}" for r in roles]
        return out

    def do_filters(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return [f"{f} [{r}] {a} until {_num(exp)}: {_fmt_res(res)}"
                for f, r, a, res, exp in self.a.filters(self.now)]

    def do_tick(self, args: list[str], kw: dict[str, str]) -> list[str]:
        self.now += float(args[0])
        return []

    def do_describe(self, args: list[str], kw: dict[str, str]) -> list[str]:
        return self.a.describe().splitlines()

    # ------------------------------------------------------------------ output
    @staticmethod
    def _out(effects: list[al.Allocation]) -> list[str]:
        return [f"{e.framework_id} <- {e.agent_id} [{e.role}] {_fmt_res(e.resources)}"
                for e in effects]
