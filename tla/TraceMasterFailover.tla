----------------------- MODULE TraceMasterFailover ------------------------
(***************************************************************************)
(* Trace validation for MasterFailover: is a simulator run (abstracted by  *)
(* core/sim/spectrace.py) a behaviour of the spec?  TraceMFData (generated *)
(* by tla/tracecheck.py) defines Traces, a sequence of traces, each a      *)
(* sequence of records [action, m, a, t, e].  As in TraceStatusUpdates,    *)
(* TraceInit picks a trace tr and each step consumes event l+1 with the    *)
(* spec action it names; the largest l reached is the matched prefix.      *)
(***************************************************************************)
EXTENDS MasterFailover, TraceMFData, TLC

VARIABLES
    tr,   \* index of the trace being checked
    l     \* number of events of Traces[tr] matched so far

traceVars == <<vars, tr, l>>

TraceInit == Init /\ tr \in 1..Len(Traces) /\ l = 0

EventStep(e) ==
    CASE e.action = "ZkExpire"             -> ZkExpire
      [] e.action = "Elect"                -> Elect(e.m)
      [] e.action = "StepDown"             -> StepDown(e.m)
      [] e.action = "Fenced"               -> Fenced(e.m)
      [] e.action = "Recover"              -> Recover(e.m)
      [] e.action = "Fence"                -> Fence(e.m)
      [] e.action = "AgentRegister"        -> AgentRegister(e.a, e.m)
      [] e.action = "AgentReregister"      -> AgentReregister(e.a, e.m)
      [] e.action = "AgentRegisterRemoved" -> AgentRegisterRemoved(e.a, e.m)
      [] e.action = "MarkUnreachable"      -> MarkUnreachable(e.a, e.m)
      [] e.action = "Partition"            -> Partition(e.a)
      [] e.action = "Heal"                 -> Heal(e.a)
      [] e.action = "AgentRestart"         -> AgentRestart(e.a)
      [] e.action = "Subscribe"            -> Subscribe(e.m)
      [] e.action = "Launch"               -> Launch(e.t, e.a, e.m)
      \* the RunTask the sender (epoch e) sent for t to a is delivered
      [] e.action = "AgentRunTask"         -> AgentRunTask([t |-> e.t, a |-> e.a, e |-> e.e])
      [] OTHER                             -> FALSE

TraceNext ==
    /\ l < Len(Traces[tr])
    /\ EventStep(Traces[tr][l + 1])
    /\ l' = l + 1
    /\ UNCHANGED tr
    \* the matched prefix, printed per step (tla/tracecheck.py reads max l per trace from
    \* TLC's output: a -dump of every state is ~25 KB per state, 4x TLC's own time)
    /\ PrintT(<<"matched", tr, l + 1>>)

TraceSpec == TraceInit /\ [][TraceNext]_traceVars
=============================================================================
