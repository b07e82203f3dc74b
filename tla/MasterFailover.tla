--------------------------- MODULE MasterFailover ---------------------------
(***************************************************************************)
(* Mesos master failover: leader election, registry fencing, agent         *)
(* re-registration, framework re-subscription and task reconciliation.     *)
(*                                                                         *)
(* Modelled:                                                               *)
(*  - ZooKeeper as a leader oracle: at most one session holds leadership;  *)
(*    it may expire (a fault), after which a master is elected with a new  *)
(*    epoch.  A deposed master learns it is deposed only later (StepDown), *)
(*    so two masters may believe they lead at the same time;               *)
(*  - the registry (replicated log) as one versioned value written with    *)
(*    compare-and-set: a master writes only if the version it last read or *)
(*    wrote is still current AND no newer epoch has read the log (the      *)
(*    replicated log's Paxos promise).  A new leader reads (promising its  *)
(*    epoch) and makes a fencing write before it serves; a master whose    *)
(*    write would be refused aborts.  A version check alone is not enough: *)
(*    a deposed master that reads after the new leader's fencing write     *)
(*    passes it (TLC found this; see docs/formal.md);                      *)
(*  - agents: register (admitted in the registry), re-register with a new  *)
(*    master carrying their running tasks, get partitioned (a fault; the   *)
(*    connection and in-flight messages are lost), restart in reconnect    *)
(*    mode (a fault; executors stay alive), are marked unreachable by the  *)
(*    leader (a registry write), and when a removed agent comes back it is *)
(*    shut down (its tasks killed) and admitted as a new agent;            *)
(*  - one framework: subscribes with the leader, launches each task id     *)
(*    (again only after it learned TASK_LOST), and reconciles; the master  *)
(*    answers TASK_LOST for a task it does not know only once every        *)
(*    admitted agent has re-registered or been removed;                    *)
(*  - RunTask messages, which carry the master's epoch; an agent drops a   *)
(*    RunTask that is not from the master it is registered with.           *)
(*                                                                         *)
(* Not modelled: resources and offers (Allocator.tla), status updates      *)
(* (StatusUpdates.tla), task completion, framework failover timeout,       *)
(* partition-aware frameworks (TASK_UNREACHABLE), registry GC, maintenance.*)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS
    Masters,     \* master processes (one leads at a time, per ZooKeeper)
    Agents,      \* agent ids
    Tasks,       \* task ids the framework launches
    MaxFaults,   \* fault budget: ZK expiries, partitions, agent restarts,
                 \* unreachable markings
    NoFencing    \* TRUE only in the broken model: registry writes skip the
                 \* version check

NoMaster == "none"
Phases == {"follower", "recovering", "fencing", "leading"}
Views == {"none", "launching", "lost"}   \* the framework's view of a task

VARIABLES
    leader,      \* ZooKeeper's leader: a master or NoMaster
    epoch,       \* ZooKeeper election counter (epoch of the current leader)
    mPhase,      \* [Masters -> Phases]
    mEpoch,      \* [Masters -> Nat]: epoch m believes it leads in (0: none)
    mVer,        \* [Masters -> Nat]: registry version m last read or wrote
    mAgents,     \* [Masters -> SUBSET Agents]: agents (re-)registered with m
    mTasks,      \* [Masters -> SUBSET (Tasks \X Agents)]: tasks m knows of
    registry,    \* [ver : Nat, promised : Nat, admitted : SUBSET Agents,
                 \*  removed : SUBSET Agents]: ver counts writes, promised is
                 \*  the highest epoch that read the log
    wlog,        \* ghost: epochs of the committed registry writes, in order
    agentEpoch,  \* [Agents -> Nat]: epoch of the master the agent is
                 \*   registered with (0: not registered)
    partitioned, \* SUBSET Agents: agents cut off from the masters
    running,     \* [Agents -> SUBSET Tasks]: tasks whose executor is alive
    everRan,     \* ghost: SUBSET (Tasks \X Agents), every task start
    everRemoved, \* ghost: agents ever removed from the registry
    fwEpoch,     \* epoch of the master the framework is subscribed to (0: none)
    fwView,      \* [Tasks -> Views]
    net,         \* set of RunTask messages [t, a, e] in flight
    faults       \* number of faults so far

vars == <<leader, epoch, mPhase, mEpoch, mVer, mAgents, mTasks, registry, wlog,
          agentEpoch, partitioned, running, everRan, everRemoved, fwEpoch,
          fwView, net, faults>>
masterVars == <<mPhase, mEpoch, mVer, mAgents, mTasks>>
agentVars == <<agentEpoch, partitioned, running, everRan>>

TypeOK ==
    /\ leader \in Masters \cup {NoMaster}
    /\ epoch \in Nat
    /\ mPhase \in [Masters -> Phases]
    /\ mEpoch \in [Masters -> Nat]
    /\ mVer \in [Masters -> Nat]
    /\ mAgents \in [Masters -> SUBSET Agents]
    /\ mTasks \in [Masters -> SUBSET (Tasks \X Agents)]
    /\ registry \in [ver : Nat, promised : Nat, admitted : SUBSET Agents,
                     removed : SUBSET Agents]
    /\ wlog \in Seq(Nat)
    /\ agentEpoch \in [Agents -> Nat]
    /\ partitioned \subseteq Agents
    /\ running \in [Agents -> SUBSET Tasks]
    /\ everRan \subseteq Tasks \X Agents
    /\ everRemoved \subseteq Agents
    /\ fwEpoch \in Nat
    /\ fwView \in [Tasks -> Views]
    /\ net \subseteq [t : Tasks, a : Agents, e : Nat]
    /\ faults \in 0..MaxFaults

Init ==
    /\ leader = NoMaster
    /\ epoch = 0
    /\ mPhase = [m \in Masters |-> "follower"]
    /\ mEpoch = [m \in Masters |-> 0]
    /\ mVer = [m \in Masters |-> 0]
    /\ mAgents = [m \in Masters |-> {}]
    /\ mTasks = [m \in Masters |-> {}]
    /\ registry = [ver |-> 0, promised |-> 0, admitted |-> {}, removed |-> {}]
    /\ wlog = <<>>
    /\ agentEpoch = [a \in Agents |-> 0]
    /\ partitioned = {}
    /\ running = [a \in Agents |-> {}]
    /\ everRan = {}
    /\ everRemoved = {}
    /\ fwEpoch = 0
    /\ fwView = [t \in Tasks |-> "none"]
    /\ net = {}
    /\ faults = 0

Leading(m) == mPhase[m] = "leading"
\* Agents and frameworks find the master through ZooKeeper and only ever move
\* to a newer epoch (a message from an older master is dropped: Mesos's
\* SplitBrainMasters test; TLC finds the double launch without this).
ZkLeader(m) == leader = m

\* Master m may write to the registry: the compare-and-set would succeed.
CanWrite(m) == NoFencing \/ (registry.ver = mVer[m] /\ mEpoch[m] >= registry.promised)
\* The registry write of m, setting admitted and removed agents.
Write(m, adm, rem) ==
    /\ registry' = [registry EXCEPT !.ver = @ + 1, !.admitted = adm, !.removed = rem]
    /\ mVer' = [mVer EXCEPT ![m] = registry.ver + 1]
    /\ wlog' = Append(wlog, mEpoch[m])

-----------------------------------------------------------------------------
(* ZooKeeper and masters                                                    *)

\* Fault: the leader's ZooKeeper session expires.
ZkExpire ==
    /\ faults < MaxFaults /\ leader # NoMaster
    /\ leader' = NoMaster
    /\ faults' = faults + 1
    /\ UNCHANGED <<epoch, masterVars, registry, wlog, agentVars, everRemoved,
                   fwEpoch, fwView, net>>

\* A follower wins the election and starts recovering from the registry.
Elect(m) ==
    /\ leader = NoMaster /\ mPhase[m] = "follower"
    /\ leader' = m
    /\ epoch' = epoch + 1
    /\ mPhase' = [mPhase EXCEPT ![m] = "recovering"]
    /\ mEpoch' = [mEpoch EXCEPT ![m] = epoch + 1]
    /\ mAgents' = [mAgents EXCEPT ![m] = {}]
    /\ mTasks' = [mTasks EXCEPT ![m] = {}]
    /\ UNCHANGED <<mVer, registry, wlog, agentVars, everRemoved, fwEpoch,
                   fwView, net, faults>>

\* A master that lost its ZooKeeper leadership learns it and aborts.
StepDown(m) ==
    /\ mPhase[m] # "follower"
    /\ leader # m
    /\ mPhase' = [mPhase EXCEPT ![m] = "follower"]
    /\ mEpoch' = [mEpoch EXCEPT ![m] = 0]
    /\ UNCHANGED <<leader, epoch, mVer, mAgents, mTasks, registry, wlog,
                   agentVars, everRemoved, fwEpoch, fwView, net, faults>>

\* A master whose registry version is stale (another master wrote) aborts:
\* this is how compare-and-set fences a deposed leader.
Fenced(m) ==
    /\ mPhase[m] \in {"fencing", "leading"}
    /\ ~CanWrite(m)
    /\ mPhase' = [mPhase EXCEPT ![m] = "follower"]
    /\ mEpoch' = [mEpoch EXCEPT ![m] = 0]
    /\ UNCHANGED <<leader, epoch, mVer, mAgents, mTasks, registry, wlog,
                   agentVars, everRemoved, fwEpoch, fwView, net, faults>>

\* The new leader reads the registry, promising its epoch (Paxos phase 1).
Recover(m) ==
    /\ mPhase[m] = "recovering"
    /\ mPhase' = [mPhase EXCEPT ![m] = "fencing"]
    /\ mVer' = [mVer EXCEPT ![m] = registry.ver]
    /\ registry' = [registry EXCEPT !.promised = IF mEpoch[m] > @ THEN mEpoch[m] ELSE @]
    /\ UNCHANGED <<leader, epoch, mEpoch, mAgents, mTasks, wlog,
                   agentVars, everRemoved, fwEpoch, fwView, net, faults>>

\* The new leader's fencing write; afterwards it serves.
Fence(m) ==
    /\ mPhase[m] = "fencing" /\ CanWrite(m)
    /\ Write(m, registry.admitted, registry.removed)
    /\ mPhase' = [mPhase EXCEPT ![m] = "leading"]
    /\ UNCHANGED <<leader, epoch, mEpoch, mAgents, mTasks, agentVars,
                   everRemoved, fwEpoch, fwView, net, faults>>

-----------------------------------------------------------------------------
(* Agents                                                                   *)

\* Agent a, not yet in the registry, registers with leader m (admission write).
AgentRegister(a, m) ==
    /\ Leading(m) /\ CanWrite(m)
    /\ a \notin partitioned /\ ZkLeader(m) /\ agentEpoch[a] < mEpoch[m]
    /\ a \notin registry.admitted \cup registry.removed
    /\ Write(m, registry.admitted \cup {a}, registry.removed)
    /\ mAgents' = [mAgents EXCEPT ![m] = @ \cup {a}]
    /\ agentEpoch' = [agentEpoch EXCEPT ![a] = mEpoch[m]]
    /\ UNCHANGED <<leader, epoch, mPhase, mEpoch, mTasks, partitioned, running,
                   everRan, everRemoved, fwEpoch, fwView, net, faults>>

\* Admitted agent a re-registers with leader m, reporting its running tasks;
\* m forgets tasks it placed on a that a does not run (they are lost).  The
\* re-registration opens a new connection: RunTasks still in flight on the
\* old one are discarded (without this, TLC finds a RunTask that arrives
\* after its task was reported lost).
AgentReregister(a, m) ==
    /\ Leading(m)
    /\ a \notin partitioned /\ ZkLeader(m) /\ agentEpoch[a] < mEpoch[m]
    /\ a \in registry.admitted
    /\ mAgents' = [mAgents EXCEPT ![m] = @ \cup {a}]
    /\ mTasks' = [mTasks EXCEPT ![m] =
                    {p \in @ : p[2] # a} \cup {<<t, a>> : t \in running[a]}]
    /\ agentEpoch' = [agentEpoch EXCEPT ![a] = mEpoch[m]]
    /\ net' = {msg \in net : msg.a # a}
    /\ UNCHANGED <<leader, epoch, mPhase, mEpoch, mVer, registry, wlog,
                   partitioned, running, everRan, everRemoved, fwEpoch, fwView,
                   faults>>

\* A removed agent comes back: it is shut down (its tasks are killed, its
\* in-flight messages die with its old id) and admitted as a new agent.
AgentRegisterRemoved(a, m) ==
    /\ Leading(m) /\ CanWrite(m)
    /\ a \notin partitioned /\ ZkLeader(m) /\ agentEpoch[a] < mEpoch[m]
    /\ a \in registry.removed
    /\ Write(m, registry.admitted \cup {a}, registry.removed \ {a})
    /\ running' = [running EXCEPT ![a] = {}]
    /\ net' = {msg \in net : msg.a # a}
    /\ mAgents' = [mAgents EXCEPT ![m] = @ \cup {a}]
    /\ agentEpoch' = [agentEpoch EXCEPT ![a] = mEpoch[m]]
    /\ UNCHANGED <<leader, epoch, mPhase, mEpoch, mTasks, partitioned, everRan,
                   everRemoved, fwEpoch, fwView, faults>>

\* Fault: agent a is partitioned away; its connection (and the messages in
\* flight to it) are lost and it will have to re-register.
Partition(a) ==
    /\ faults < MaxFaults /\ a \notin partitioned
    /\ partitioned' = partitioned \cup {a}
    /\ agentEpoch' = [agentEpoch EXCEPT ![a] = 0]
    /\ net' = {msg \in net : msg.a # a}
    /\ faults' = faults + 1
    /\ UNCHANGED <<leader, epoch, masterVars, registry, wlog, running, everRan,
                   everRemoved, fwEpoch, fwView>>

Heal(a) ==
    /\ a \in partitioned
    /\ partitioned' = partitioned \ {a}
    /\ UNCHANGED <<leader, epoch, masterVars, registry, wlog, agentEpoch,
                   running, everRan, everRemoved, fwEpoch, fwView, net, faults>>

\* Fault: the agent process restarts in reconnect mode; executors survive.
AgentRestart(a) ==
    /\ faults < MaxFaults
    /\ agentEpoch' = [agentEpoch EXCEPT ![a] = 0]
    /\ net' = {msg \in net : msg.a # a}
    /\ faults' = faults + 1
    /\ UNCHANGED <<leader, epoch, masterVars, registry, wlog, partitioned,
                   running, everRan, everRemoved, fwEpoch, fwView>>

\* Leader m marks an admitted agent that is not registered with it (partitioned
\* or not re-registered in time) unreachable: it is removed from the registry
\* and its tasks are forgotten (they will be reported lost).  A timeout, so it
\* is counted against the fault budget.
MarkUnreachable(a, m) ==
    /\ faults < MaxFaults
    /\ Leading(m) /\ CanWrite(m)
    /\ a \in registry.admitted
    /\ a \in partitioned \/ a \notin mAgents[m]
    /\ Write(m, registry.admitted \ {a}, registry.removed \cup {a})
    /\ mAgents' = [mAgents EXCEPT ![m] = @ \ {a}]
    /\ mTasks' = [mTasks EXCEPT ![m] = {p \in @ : p[2] # a}]
    /\ everRemoved' = everRemoved \cup {a}
    /\ faults' = faults + 1
    /\ UNCHANGED <<leader, epoch, mPhase, mEpoch, agentVars, fwEpoch, fwView, net>>

\* Agent a receives a RunTask; it starts the task only if the message comes
\* from the master it is registered with and the task is new to it.
AgentRunTask(msg) ==
    /\ msg \in net /\ msg.a \notin partitioned
    /\ net' = net \ {msg}
    /\ IF msg.e = agentEpoch[msg.a] /\ msg.e # 0
       THEN /\ running' = [running EXCEPT ![msg.a] = @ \cup {msg.t}]
            /\ everRan' = everRan \cup {<<msg.t, msg.a>>}
       ELSE UNCHANGED <<running, everRan>>
    /\ UNCHANGED <<leader, epoch, masterVars, registry, wlog, agentEpoch,
                   partitioned, everRemoved, fwEpoch, fwView, faults>>

-----------------------------------------------------------------------------
(* Framework                                                                *)

\* The framework (re-)subscribes with the master ZooKeeper names as leader.
Subscribe(m) ==
    /\ Leading(m) /\ ZkLeader(m) /\ fwEpoch < mEpoch[m]
    /\ fwEpoch' = mEpoch[m]
    /\ UNCHANGED <<leader, epoch, masterVars, registry, wlog, agentVars,
                   everRemoved, fwView, net, faults>>

\* The framework launches task t (first time, or again after TASK_LOST)
\* through leader m, which places it on a registered agent a.
Launch(t, a, m) ==
    /\ Leading(m) /\ fwEpoch = mEpoch[m]
    /\ fwView[t] \in {"none", "lost"}
    /\ a \in mAgents[m]
    /\ fwView' = [fwView EXCEPT ![t] = "launching"]
    /\ mTasks' = [mTasks EXCEPT ![m] = @ \cup {<<t, a>>}]
    /\ net' = net \cup {[t |-> t, a |-> a, e |-> mEpoch[m]]}
    /\ UNCHANGED <<leader, epoch, mPhase, mEpoch, mVer, mAgents, registry, wlog,
                   agentVars, everRemoved, fwEpoch, faults>>

\* Reconciliation of task t with leader m: the master answers TASK_LOST for a
\* task it does not know only when no admitted agent is still expected to
\* re-register (otherwise it stays silent).
ReconcileLost(t, m) ==
    /\ Leading(m) /\ fwEpoch = mEpoch[m]
    /\ fwView[t] = "launching"
    /\ ~\E a \in Agents : <<t, a>> \in mTasks[m]
    /\ registry.admitted \subseteq mAgents[m]
    /\ fwView' = [fwView EXCEPT ![t] = "lost"]
    /\ UNCHANGED <<leader, epoch, masterVars, registry, wlog, agentVars,
                   everRemoved, fwEpoch, net, faults>>

-----------------------------------------------------------------------------
Next ==
    \/ ZkExpire
    \/ \E m \in Masters :
        \/ Elect(m) \/ StepDown(m) \/ Fenced(m) \/ Recover(m) \/ Fence(m)
        \/ Subscribe(m)
        \/ \E a \in Agents :
            AgentRegister(a, m) \/ AgentReregister(a, m)
            \/ AgentRegisterRemoved(a, m) \/ MarkUnreachable(a, m)
        \/ \E t \in Tasks : ReconcileLost(t, m) \/ \E a \in Agents : Launch(t, a, m)
    \/ \E a \in Agents : Partition(a) \/ Heal(a) \/ AgentRestart(a)
    \/ \E msg \in net : AgentRunTask(msg)

\* Fairness on system steps only (never on ZkExpire, Partition, AgentRestart,
\* MarkUnreachable): ZooKeeper elects, masters recover, step down and fence,
\* partitions heal, agents (re-)register, the framework re-subscribes.
Fairness ==
    /\ WF_vars(\E m \in Masters : Elect(m))
    /\ \A m \in Masters :
        /\ WF_vars(StepDown(m)) /\ WF_vars(Fenced(m))
        /\ WF_vars(Recover(m)) /\ WF_vars(Fence(m))
        /\ WF_vars(Subscribe(m))
    /\ \A a \in Agents :
        /\ WF_vars(Heal(a))
        /\ WF_vars(\E m \in Masters : AgentRegister(a, m) \/ AgentReregister(a, m)
                                      \/ AgentRegisterRemoved(a, m))

Spec == Init /\ [][Next]_vars /\ Fairness

-----------------------------------------------------------------------------
(* Properties (names shared with core/invariants.py)                        *)

\* Fencing: committed registry writes come from non-decreasing epochs, so
\* once a newer leader has written, no older leader's write commits.
OneLeaderWrites ==
    \A i, j \in 1..Len(wlog) : i < j => wlog[i] <= wlog[j]

\* A task id runs on at most one agent that is still in the cluster (a
\* removed agent may run the old copy until it comes back and is shut down).
SingleLaunch ==
    \A t \in Tasks :
        Cardinality({a \in Agents \ registry.removed : t \in running[a]}) <= 1

\* Restarts, partitions and failovers never kill a task whose agent was not
\* removed; and TASK_LOST is never reported for a task that runs on an agent
\* still in the cluster.
RecoveryKeepsTasks ==
    /\ \A p \in everRan : p[2] \notin everRemoved => p[1] \in running[p[2]]
    /\ \A t \in Tasks : fwView[t] = "lost" =>
          \A a \in Agents : t \in running[a] => a \in registry.removed

\* After the faults stop, a leader serves, every agent is registered with it
\* and the framework is subscribed to it.
EventuallyReregistered ==
    <>[](\E m \in Masters :
            /\ Leading(m) /\ leader = m
            /\ \A a \in Agents : agentEpoch[a] = mEpoch[m]
            /\ fwEpoch = mEpoch[m])
=============================================================================
