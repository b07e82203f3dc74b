"""The pure authorizer (core/authorizer.py), the master's use of it, and its daemon hooks.

Ported cases (apache/mesos 1.11 src/tests/authorization_tests.cpp, master_authorization_tests.cpp,
named after them): AuthorizationTest.NoPrincipalRunAsUser, AuthorizationTest.RegisterFrameworkHierarchical,
AuthorizationTest.ValidateEndpoints, MasterAuthorizationTest.AuthorizedTask,
MasterAuthorizationTest.UnauthorizedTask, MasterAuthorizationTest.UnauthorizedRole,
MasterAuthorizerTest.FilterStateEndpoint, MasterAuthorizerTest.FilterFrameworksEndpoint,
MasterAuthorizerTest.ViewFlags.

Property `DeniedCallChangesNothing` (Hypothesis state machine `AuthorizedMaster`): with random
ACLs, random principals subscribing in random roles and launching tasks as random users, a
SUBSCRIBE the authorizer denies leaves `master.describe()` unchanged and answers an ERROR
event + close; a task it denies is never sent to an agent nor booked, and is answered
TASK_ERROR (REASON_TASK_UNAUTHORIZED). Shown failing on a planted bug (a master that skips
the check)."""

from __future__ import annotations

import http.client
import json
import os

import pytest
from hypothesis import HealthCheck, Phase, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from mesotron.core.authorizer import (
    AclError,
    authorized,
    authorized_all,
    filter_state,
    parse_acls,
)
from mesotron.core.effects import Close, Received, RegistryResult, RegistryWrite, Send, TimerFired
from mesotron.core.ids import IdSource
from mesotron.core.master.machine import LeadershipGained, Master, MasterConfig
from mesotron.core.messages import (
    CallAccept,
    CallSubscribe,
    EventError,
    EventOffers,
    EventSubscribed,
    EventUpdate,
    OpLaunch,
    RegisterAgent,
    RunTask,
    SchedulerCall,
)
from mesotron.core.resources import Resources
from mesotron.core.values import AgentInfo, CommandInfo, FrameworkInfo, MasterInfo, Reason, TaskInfo
from testkit import Cluster, basic_auth


def E(kind: str = "SOME", *values: str) -> dict:
    return {"type": kind} if kind != "SOME" else {"values": list(values)}


# ------------------------------------------------------------------ parsing
def test_parse_ignores_unknown_keys_and_defaults_to_permissive() -> None:
    acls = parse_acls({"set_quotas": [{"principals": E("ANY"), "roles": E("ANY")}]})
    assert acls.permissive and acls.rules == ()
    assert authorized(acls, "update_quotas", "p", "r")


@pytest.mark.parametrize("bad", [
    "[]", "{", '{"permissive": "no"}', '{"run_tasks": {}}',
    '{"run_tasks": [{"principals": {"type": "ANY"}}]}',              # object field missing
    '{"run_tasks": [{"principals": {"type": "ALL"}, "users": {"type": "ANY"}}]}',
    '{"view_flags": [{"principals": {"type": "ANY"}, "flags": {"values": ["x"]}}]}',
])
def test_parse_refuses_what_mesos_refuses(bad) -> None:
    with pytest.raises(AclError):
        parse_acls(bad)


def test_validate_endpoints() -> None:
    # AuthorizationTest.ValidateEndpoints: get_endpoints may only name authorizable paths
    with pytest.raises(AclError, match="not an authorizable endpoint"):
        parse_acls({"get_endpoints": [{"principals": E("ANY"), "paths": E("SOME", "/frameworks")}]})
    acls = parse_acls({"get_endpoints": [{"principals": E("SOME", "ops"),
                                          "paths": E("SOME", "/metrics/snapshot")}]})
    assert authorized(acls, "get_endpoints", "ops", "/metrics/snapshot")


# ------------------------------------------------------------------ matching rules
def test_no_principal_run_as_user() -> None:
    # AuthorizationTest.NoPrincipalRunAsUser: nobody may run as root
    acls = parse_acls({"run_tasks": [{"principals": E("NONE"), "users": E("SOME", "root")}]})
    assert not authorized(acls, "run_tasks", "foo", "root")
    assert not authorized(acls, "run_tasks", None, "root")
    assert authorized(acls, "run_tasks", "foo", "guest")  # no rule matches: permissive


def test_first_matching_rule_decides() -> None:
    acls = parse_acls({"permissive": False, "run_tasks": [
        {"principals": E("SOME", "foo"), "users": E("SOME", "guest", "root")},
        {"principals": E("SOME", "bar"), "users": E("SOME", "guest")},
        {"principals": E("ANY"), "users": E("NONE")},
    ]})
    assert authorized(acls, "run_tasks", "foo", "root")
    assert authorized(acls, "run_tasks", "bar", "guest")
    assert not authorized(acls, "run_tasks", "bar", "root")   # third rule: users NONE denies
    assert not authorized(acls, "run_tasks", "baz", "guest")
    assert not authorized(acls, "run_tasks", None, "guest")   # ANY subject matches the ANY rule
    # an ANY request (no object) is allowed only by an ANY rule
    any_ok = parse_acls({"permissive": False, "view_tasks": [
        {"principals": E("ANY"), "users": E("ANY")}]})
    assert authorized(any_ok, "view_tasks", None, None)
    some_only = parse_acls({"permissive": False, "view_tasks": [
        {"principals": E("SOME", "p"), "users": E("SOME", "u")}]})
    assert not authorized(some_only, "view_tasks", None, "u")  # ANY subject: SOME rule no match


def test_register_framework_hierarchical() -> None:
    # AuthorizationTest.RegisterFrameworkHierarchical: `a/%` covers strict descendants only
    acls = parse_acls({"permissive": False, "register_frameworks": [
        {"principals": E("SOME", "elizabeth-ii"), "roles": E("SOME", "king/%", "king")},
        {"principals": E("SOME", "charles"), "roles": E("SOME", "king/%")},
        {"principals": E("SOME", "j-welby"), "roles": E("SOME", "king")},
    ]})
    for role in ("king", "king/prince", "king/prince/duke"):
        assert authorized(acls, "register_frameworks", "elizabeth-ii", role)
    assert not authorized(acls, "register_frameworks", "charles", "king")
    assert authorized(acls, "register_frameworks", "charles", "king/prince")
    assert authorized(acls, "register_frameworks", "charles", "king/prince/duke")
    assert not authorized(acls, "register_frameworks", "charles", "kingdom")
    assert authorized(acls, "register_frameworks", "j-welby", "king")
    assert not authorized(acls, "register_frameworks", "j-welby", "king/prince")
    # every role of a framework must be approved
    assert not authorized_all(acls, "register_frameworks", "charles", ("king/a", "king"))
    assert authorized_all(acls, "register_frameworks", "charles", ("king/a", "king/b"))


def test_no_acls_allows_everything() -> None:
    assert authorized(None, "run_tasks", None, "root")
    with pytest.raises(ValueError, match="unknown action"):
        authorized(parse_acls({}), "fly", None, None)


# ------------------------------------------------------------------ the master
AGENT_RES = Resources.parse("cpus:4;mem:1024")
TASK_RES = Resources.parse("cpus:1;mem:64")


def _master(acls) -> Master:
    m = Master(master_info=MasterInfo(id="m1", hostname="m"), ids=IdSource(seed="t"),
               config=MasterConfig(acls=acls, allocation_interval=1.0))
    m.step(0.0, LeadershipGained())
    return m


def _sub(m: Master, principal, roles=("*",), user="u", rid="r", now=1.0):
    info = FrameworkInfo(user=user, name="fw", roles=tuple(roles))
    return m.step(now, SchedulerCall(request=rid, stream_id=None, framework_id=None,
                                     call=CallSubscribe(framework_info=info), principal=principal))


def test_unauthorized_role() -> None:
    # MasterAuthorizationTest.UnauthorizedRole
    m = _master(parse_acls({"register_frameworks": [
        {"principals": E("SOME", "alice"), "roles": E("NONE")}]}))
    before = m.describe()
    out = _sub(m, "alice", ("analytics",))
    errs = [e.message.message for e in out if isinstance(e, Send) and isinstance(e.message, EventError)]
    assert errs == ["Not authorized to register framework with roles analytics"]
    assert any(isinstance(e, Close) for e in out)
    assert m.describe() == before


def _register(m: Master, now: float, res: Resources) -> None:
    """An agent registers; its registry write commits (what the shell would report)."""
    out = m.step(now, Received(sender="agent@1", message=RegisterAgent(
        agent_info=AgentInfo(hostname="a1", resources=res))))
    for e in out:
        if isinstance(e, RegistryWrite):
            m.step(now, RegistryResult(op_id=e.op_id, ok=True))


def _launch(m: Master, user: str | None, task_id: str = "t1"):
    """A framework (principal "fw") launching one task as `user` on the one agent's offer."""
    out = _sub(m, "fw")
    ev = next(e for e in out if isinstance(e, Send) and isinstance(e.message, EventSubscribed))
    stream, fid = ev.to, ev.message.framework_id
    _register(m, 1.0, AGENT_RES)
    m.step(2.0, TimerFired(key=("allocation",)))
    offer = next(o for o in m.offers.values() if o.framework_id == fid)
    task = TaskInfo(name="t", task_id=task_id, agent_id=offer.agent_id, resources=TASK_RES,
                    command=CommandInfo(value="true", user=user))
    return m.step(3.0, SchedulerCall(request="acc", stream_id=stream, framework_id=fid, principal="fw",
                                     call=CallAccept(offer_ids=(offer.id,), operations=(OpLaunch(task_infos=(task,)),))))


def test_authorized_task() -> None:
    # MasterAuthorizationTest.AuthorizedTask
    # (permissive false: agents need a register_agents rule too, as in Mesos)
    m = _master(parse_acls({"permissive": False,
                            "register_agents": [{"principals": E("ANY"), "agents": E("ANY")}],
                            "register_frameworks": [{"principals": E("ANY"), "roles": E("ANY")}],
                            "run_tasks": [{"principals": E("SOME", "fw"), "users": E("SOME", "guest")}]}))
    out = _launch(m, "guest")
    assert any(isinstance(e, Send) and isinstance(e.message, RunTask) for e in out)


def test_unauthorized_task() -> None:
    # MasterAuthorizationTest.UnauthorizedTask
    m = _master(parse_acls({"run_tasks": [{"principals": E("SOME", "fw"), "users": E("NONE")}]}))
    out = _launch(m, "root")
    assert not any(isinstance(e, Send) and isinstance(e.message, RunTask) for e in out)
    updates = [e.message.status for e in out if isinstance(e, Send) and isinstance(e.message, EventUpdate)]
    assert len(updates) == 1
    assert updates[0].state.name == "TASK_ERROR"
    assert updates[0].reason == Reason.REASON_TASK_UNAUTHORIZED
    assert updates[0].message == "Not authorized to launch task t1 of framework m1-0000 under user 'root'"
    assert "t1" not in {k[1] for k in m.tasks}
    # the framework's user is the object when the command names none (Mesos)
    m2 = _master(parse_acls({"run_tasks": [{"principals": E("ANY"), "users": E("SOME", "u")}]}))
    assert any(isinstance(e, Send) and isinstance(e.message, RunTask) for e in _launch(m2, None))


def test_filter_state_endpoint() -> None:
    # MasterAuthorizerTest.FilterStateEndpoint / FilterFrameworksEndpoint
    state = {"frameworks": [
        {"id": "f1", "user": "bar", "tasks": [{"id": "t1"}, {"id": "t2", "user": "root"}],
         "completed_tasks": [], "executors": [{"executor_id": "e1"}]},
        {"id": "f2", "user": "foo", "tasks": [{"id": "t3"}], "executors": []},
    ], "completed_frameworks": [], "orphan_tasks": [], "flags": {"x": "1"}}
    acls = parse_acls({"permissive": False,
                       "view_frameworks": [{"principals": E("SOME", "ops"), "users": E("SOME", "bar")}],
                       "view_tasks": [{"principals": E("SOME", "ops"), "users": E("SOME", "bar")}],
                       "view_executors": [{"principals": E("SOME", "ops"), "users": E("NONE")}],
                       "view_flags": [{"principals": E("SOME", "admin"), "flags": E("ANY")}]})
    seen = filter_state(acls, "ops", state)
    assert [f["id"] for f in seen["frameworks"]] == ["f1"]
    assert [t["id"] for t in seen["frameworks"][0]["tasks"]] == ["t1"]
    assert seen["frameworks"][0]["executors"] == []
    assert "flags" not in seen
    assert filter_state(acls, None, state)["frameworks"] == []
    assert filter_state(acls, "admin", state)["flags"] == {"x": "1"}
    assert len(state["frameworks"]) == 2  # the input is not mutated
    assert filter_state(None, None, state) is state


# ------------------------------------------------------------------ DeniedCallChangesNothing
PRINCIPALS = st.sampled_from([None, "alice", "bob", "carol"])
ROLES = st.sampled_from(["*", "a", "b", "a/x", "a/x/y"])
USERS = st.sampled_from(["root", "nobody", "u"])


def _entity(values):
    return st.one_of(st.just({"type": "ANY"}), st.just({"type": "NONE"}),
                     st.lists(values, min_size=1, max_size=2, unique=True).map(lambda v: {"values": v}))


ACLS = st.fixed_dictionaries({
    "permissive": st.booleans(),
    # the one agent always registers (it is not what this machine explores)
    "register_agents": st.just([{"principals": {"type": "ANY"}, "agents": {"type": "ANY"}}]),
    # random rules, or (often) the two extremes, so that both allowed and denied calls of
    # each kind come up in few examples
    "register_frameworks": st.one_of(
        st.just([{"principals": {"type": "ANY"}, "roles": {"type": "ANY"}}]),
        st.lists(st.fixed_dictionaries({
            "principals": _entity(st.sampled_from(["alice", "bob", "carol"])),
            "roles": _entity(st.sampled_from(["*", "a", "b", "a/%", "a/x"]))}), max_size=3)),
    "run_tasks": st.one_of(
        st.just([{"principals": {"type": "ANY"}, "users": {"type": "NONE"}}]),
        st.lists(st.fixed_dictionaries({
            "principals": _entity(st.sampled_from(["alice", "bob", "carol"])),
            "users": _entity(st.sampled_from(["root", "nobody", "u"]))}), max_size=3)),
})


class AuthorizedMaster(RuleBasedStateMachine):
    """Random ACLs; subscriptions and launches by random principals: the property
    DeniedCallChangesNothing after every rule."""

    def __init__(self) -> None:
        super().__init__()
        self.acls = None
        self.m: Master | None = None
        self.frameworks: list[tuple[str, str, str | None]] = []  # (fid, stream, principal)
        self.denied_tasks: set[str] = set()
        self.n = 0
        self.now = 1.0

    @initialize(acls=ACLS)
    def configure(self, acls) -> None:
        note(f"acls={acls!r}")
        self.acls = parse_acls(acls)
        self.m = _master(self.acls)
        _register(self.m, 0.5, Resources.parse("cpus:64;mem:65536"))

    @rule(principal=PRINCIPALS, roles=st.lists(ROLES, min_size=1, max_size=2, unique=True))
    def subscribe(self, principal, roles) -> None:
        if self.m is None:
            return
        self.n += 1
        before = self.m.describe()
        allowed = authorized_all(self.acls, "register_frameworks", principal, tuple(roles))
        out = _sub(self.m, principal, roles, rid=f"s{self.n}", now=self.now)
        sub = [e for e in out if isinstance(e, Send) and isinstance(e.message, EventSubscribed)]
        if allowed:
            assert sub, out
            self.frameworks.append((sub[0].message.framework_id, sub[0].to, principal))
        else:
            assert not sub and self.m.describe() == before and isinstance(out[-1], Close), \
                f"DeniedCallChangesNothing: a denied SUBSCRIBE changed the master: {out}"

    @rule(data=st.data(), user=USERS)
    def launch(self, data, user) -> None:
        if self.m is None or not self.frameworks:
            return
        fid, stream, principal = data.draw(st.sampled_from(self.frameworks))
        self.now += 1.0
        out = self.m.step(self.now, TimerFired(key=("allocation",)))
        offers = [o for e in out if isinstance(e, Send) and isinstance(e.message, EventOffers)
                  for o in e.message.offers if o.framework_id == fid]
        offers += [o for o in self.m.offers.values() if o.framework_id == fid and o not in offers]
        if not offers:
            return
        offer = offers[0]
        self.n += 1
        tid = f"t{self.n}"
        task = TaskInfo(name="t", task_id=tid, agent_id=offer.agent_id, resources=TASK_RES,
                        command=CommandInfo(value="true", user=user))
        allowed = authorized(self.acls, "run_tasks", principal, user)
        out = self.m.step(self.now, SchedulerCall(
            request=f"a{self.n}", stream_id=stream, framework_id=fid, principal=principal,
            call=CallAccept(offer_ids=(offer.id,), operations=(OpLaunch(task_infos=(task,)),))))
        sent = any(isinstance(e, Send) and isinstance(e.message, RunTask) for e in out)
        if allowed:
            assert sent, out
        else:
            self.denied_tasks.add(tid)
            errors = [e.message.status for e in out if isinstance(e, Send) and isinstance(e.message, EventUpdate)
                      and e.message.status.reason == Reason.REASON_TASK_UNAUTHORIZED]
            assert not sent and errors, \
                f"DeniedCallChangesNothing: a denied task was launched or not refused: {out}"

    @invariant()
    def denied_tasks_never_booked(self) -> None:
        if self.m is not None:
            booked = {k[1] for k in self.m.tasks}
            assert not (booked & self.denied_tasks), \
                f"DeniedCallChangesNothing: denied tasks booked: {booked & self.denied_tasks}"


SETTINGS = settings(max_examples=60, stateful_step_count=12, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def test_denied_call_changes_nothing() -> None:
    run_state_machine_as_test(AuthorizedMaster, settings=SETTINGS)


def test_planted_bug_fires_denied_call_changes_nothing(monkeypatch) -> None:
    """A master that skips the run_tasks check (planted): the property names itself."""
    from mesotron.core.master import offers

    monkeypatch.setattr(offers, "authorized", lambda *a: True)
    with pytest.raises(AssertionError, match="DeniedCallChangesNothing"):
        run_state_machine_as_test(AuthorizedMaster, settings=settings(
            SETTINGS, max_examples=300, database=None, phases=(Phase.generate,),
            report_multiple_bugs=False))


def test_planted_bug_subscribe_fires(monkeypatch) -> None:
    from mesotron.core.master import frameworks

    monkeypatch.setattr(frameworks, "authorized_all", lambda *a: True)
    with pytest.raises(AssertionError, match="DeniedCallChangesNothing"):
        run_state_machine_as_test(AuthorizedMaster, settings=settings(
            SETTINGS, max_examples=300, database=None, phases=(Phase.generate,),
            report_multiple_bugs=False))


# ------------------------------------------------------------------ real daemons
def _post(port, path, body, auth=None, keep=None):
    """POST; a scheduler stream is read up to its first event and, with `keep` (a list), left
    open (appended to it) so that the framework stays subscribed."""
    h = {"Content-Type": "application/json", "Accept": "application/json"}
    if auth:
        h["Authorization"] = auth
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    if keep is not None:
        keep.append(c)
    try:
        c.request("POST", path, body=body, headers=h)
        r = c.getresponse()
        if r.status != 200 or "scheduler" not in path:
            return r.status, r.read()
        data = b""
        while b"SUBSCRIBED" not in data and b"ERROR" not in data:  # the stream's first event
            chunk = r.read1(8192)
            if not chunk:
                break
            data += chunk
        return r.status, data
    finally:
        if keep is None:
            c.close()


def _get(port, path, auth=None):
    h = {"Authorization": auth} if auth else {}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path, headers=h)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def test_acls_on_real_daemons(tmp_path) -> None:
    """MasterAuthorizationTest.UnauthorizedRole over HTTP (200, ERROR event, stream closed),
    MasterAuthorizerTest.ViewFlags (403) and FilterStateEndpoint on a real master."""
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps({"credentials": [{"principal": "ops", "secret": "o"},
                                                 {"principal": "dev", "secret": "d"}]}))
    os.chmod(creds, 0o600)
    acls = {"permissive": True,
            "register_frameworks": [{"principals": {"values": ["dev"]}, "roles": {"values": ["dev"]}},
                                    {"principals": {"type": "NONE"}, "roles": {"values": ["dev"]}},
                                    {"principals": {"values": ["dev"]}, "roles": {"type": "NONE"}}],
            "view_frameworks": [{"principals": {"values": ["dev"]}, "users": {"values": ["dev"]}},
                                {"principals": {"values": ["dev"]}, "users": {"type": "NONE"}}],
            "view_flags": [{"principals": {"values": ["dev"]}, "flags": {"type": "NONE"}}]}
    with Cluster(str(tmp_path), agents=0, auth=("ops", "o"),
                 master_flags=("--authenticate-frameworks", "--authenticate-http-readonly",
                               "--authenticate-http-readwrite", "--credentials", str(creds),
                               "--acls", json.dumps(acls))) as c:
        p = c.master_port

        def sub(principal, secret, role, user):
            return _post(p, "/api/v1/scheduler", json.dumps({"type": "SUBSCRIBE", "subscribe": {
                "framework_info": {"user": user, "name": "x", "roles": [role],
                                   "capabilities": [{"type": "MULTI_ROLE"}]}}}),
                basic_auth(principal, secret), keep=streams)

        streams: list[http.client.HTTPConnection] = []

        # "dev" may register in "dev" (first rule), nobody else (second), and "dev" nowhere
        # else (third); "ops" in "ops": no rule matches, permissive
        status, body = sub("ops", "o", "dev", "ops")
        assert status == 200 and b"Not authorized to register framework with roles dev" in body
        assert c.state()["frameworks"] == []
        status, body = sub("dev", "d", "prod", "dev")
        assert status == 200 and b"Not authorized" in body
        status, body = sub("dev", "d", "dev", "dev")
        assert status == 200 and b"SUBSCRIBED" in body
        status, body = sub("ops", "o", "ops", "ops")
        assert status == 200 and b"SUBSCRIBED" in body
        # views: "ops" (permissive, no matching rule) sees both; "dev" only its user's
        assert len(c.state()["frameworks"]) == 2
        st, body = _get(p, "/master/state", basic_auth("dev", "d"))
        assert st == 200 and [f["user"] for f in json.loads(body)["frameworks"]] == ["dev"]
        st, body = _get(p, "/master/frameworks", basic_auth("dev", "d"))
        assert [f["user"] for f in json.loads(body)["frameworks"]] == ["dev"]
        # operator API views too
        st, body = _post(p, "/api/v1", json.dumps({"type": "GET_FRAMEWORKS"}), basic_auth("dev", "d"))
        assert st == 200
        got = json.loads(body)["get_frameworks"]["frameworks"]
        assert [f["framework_info"]["user"] for f in got] == ["dev"]
        # the operator SUBSCRIBE's first event (its state snapshot) is filtered too
        c2 = http.client.HTTPConnection("127.0.0.1", p, timeout=10)
        c2.request("POST", "/api/v1", body=json.dumps({"type": "SUBSCRIBE"}),
                   headers={"Content-Type": "application/json", "Accept": "application/json",
                            "Authorization": basic_auth("dev", "d")})
        r2 = c2.getresponse()
        data = r2.read1(65536)
        while b"\n" not in data or len(data.partition(b"\n")[2]) < int(data.partition(b"\n")[0]):
            data += r2.read1(65536)  # RecordIO: <length>\n<record>, the whole first record
        size, _, rest = data.partition(b"\n")
        snap = json.loads(rest[:int(size)])["subscribed"]["get_state"]["get_frameworks"]["frameworks"]
        assert [f["framework_info"]["user"] for f in snap] == ["dev"]
        c2.close()
        # MasterAuthorizerTest.ViewFlags
        assert _get(p, "/master/flags", basic_auth("dev", "d")) == (403, b"403 Forbidden.")
        assert _get(p, "/master/flags", basic_auth("ops", "o"))[0] == 200
        assert "flags" not in json.loads(_get(p, "/master/state", basic_auth("dev", "d"))[1])
        for conn in streams:
            conn.close()
