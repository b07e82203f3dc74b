--------------------------- MODULE StatusUpdates ---------------------------
(***************************************************************************)
(* Mesos task status-update delivery (at-least-once, in order).            *)
(*                                                                         *)
(* Modelled:                                                               *)
(*  - the executor, which produces status updates for its tasks (each with *)
(*    a uuid = its position in the task's stream) and retries each update  *)
(*    until the agent acks it; at most ExecWindow are unacked per task;    *)
(*  - the agent's status-update manager: a per-task stream that is first   *)
(*    received into memory, then checkpointed (persisted); only persisted  *)
(*    updates are acked to the executor and forwarded; only the head of    *)
(*    the stream (oldest update not yet acked by the scheduler) is in      *)
(*    flight, and it is re-forwarded (retried) until its ack arrives;      *)
(*  - the master as a stateless relay (agent -> scheduler updates,         *)
(*    scheduler -> agent acks);                                            *)
(*  - the scheduler, which records the distinct updates it sees and acks   *)
(*    every update it receives (duplicates included);                      *)
(*  - links that lose messages, duplicate them and reorder them (the       *)
(*    network is a bag of messages with at most MaxCopies copies of each); *)
(*  - agent crash/restart: the in-memory (unpersisted) part of a stream is *)
(*    lost, the checkpoint survives, connections to the agent are reset;   *)
(*  - master failover: every message on a master link is lost.             *)
(* Faults (drop, duplicate, agent crash, master failover) are bounded by   *)
(* MaxFaults and carry no fairness, so every fair behaviour eventually     *)
(* runs without faults: that is the hypothesis of EventuallyAcked.         *)
(*                                                                         *)
(* Not modelled: executor crash (its updates come back as TASK_LOST from   *)
(* the agent), reconciliation, framework failover, the master's task       *)
(* table, agent re-registration (the relay needs no registration here),    *)
(* operation status updates, real uuids (a uuid is a stream position).     *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS
    Tasks,            \* task ids, all run by one executor on one agent
    ExecStates,       \* the states the executor may report (subset of TaskStates)
    MaxUpdates,       \* the executor produces at most this many updates per task
    ExecWindow,       \* the executor has at most this many unacked updates per task
    MaxCopies,        \* at most this many copies of one message are in flight
    MaxFaults,        \* fault budget: drops + duplicates + crashes + failovers
    AckBeforePersist  \* TRUE only in the broken model: the agent acks the
                      \* executor before the update is checkpointed

(* Task lifecycle (the table of core/): non-terminal states only move       *)
(* forward, RUNNING may repeat (health/data updates), terminal absorbs.     *)
TaskStates == {"TASK_STAGING", "TASK_STARTING", "TASK_RUNNING",
               "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST"}
Terminal == {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST"}
Rank(s) == CASE s = "TASK_STAGING" -> 0 [] s = "TASK_STARTING" -> 1
             [] s = "TASK_RUNNING" -> 2 [] OTHER -> 3
LegalStep(from, to) ==
    /\ from \notin Terminal
    /\ \/ to \in Terminal
       \/ Rank(to) > Rank(from)
       \/ from = "TASK_RUNNING" /\ to = "TASK_RUNNING"
InitialState == "TASK_STAGING"   \* the state the master assigned at launch
LegalChain(seq) ==
    \A j \in 1..Len(seq) :
        LegalStep(IF j = 1 THEN InitialState ELSE seq[j - 1], seq[j])

UUIDs == 1..MaxUpdates
NoState == "-"                   \* the state field of an ack message
MsgTypes == {"update",   \* executor -> agent   : status update
             "eack",     \* agent    -> executor: ack of a checkpointed update
             "fwd",      \* agent    -> master  : forwarded update (stream head)
             "relay",    \* master   -> scheduler
             "sack",     \* scheduler -> master : acknowledgement
             "aack"}     \* master   -> agent   : relayed acknowledgement
Msgs == [type : MsgTypes, task : Tasks, uuid : UUIDs, state : ExecStates \cup {NoState}]
Msg(ty, t, i, s) == [type |-> ty, task |-> t, uuid |-> i, state |-> s]
Ack(ty, t, i) == Msg(ty, t, i, NoState)
MasterLink == {"fwd", "relay", "sack", "aack"}
AgentLink == {"update", "eack", "aack"}  \* reset when the agent crashes

VARIABLES
    execLog,      \* [Tasks -> Seq(ExecStates)]: the updates the executor produced
    execUnacked,  \* [Tasks -> SUBSET UUIDs]: uuids awaiting the agent's ack
    stream,       \* [Tasks -> Seq(ExecStates)]: agent stream in memory
    durable,      \* [Tasks -> Seq(ExecStates)]: checkpointed prefix of stream
    ackd,         \* [Tasks -> Nat]: stream entries acked by the scheduler, as
                  \*   known (and checkpointed) by the agent
    agentUp,      \* the agent process is running
    seen,         \* [Tasks -> Seq(<<uuid, state>>)]: distinct updates the
                  \*   scheduler received, in arrival order
    sacked,       \* [Tasks -> SUBSET UUIDs]: uuids the scheduler acked
    net,          \* bag of messages in flight: [S -> 1..MaxCopies], S \subseteq Msgs
    faults,       \* number of faults so far
    accepted      \* ghost [Tasks -> Nat]: highest uuid acked to the executor

vars == <<execLog, execUnacked, stream, durable, ackd, agentUp,
          seen, sacked, net, faults, accepted>>

-----------------------------------------------------------------------------
(* Bag helpers: the network.                                                *)
InNet(m) == m \in DOMAIN net
Send(B, m) ==   \* a copy beyond MaxCopies is lost (the link may lose it)
    IF m \in DOMAIN B
    THEN [x \in DOMAIN B |-> IF x = m THEN (IF B[x] < MaxCopies THEN B[x] + 1 ELSE B[x]) ELSE B[x]]
    ELSE [x \in DOMAIN B \cup {m} |-> IF x = m THEN 1 ELSE B[x]]
Remove(B, m) ==
    IF B[m] = 1 THEN [x \in DOMAIN B \ {m} |-> B[x]]
    ELSE [x \in DOMAIN B |-> IF x = m THEN B[x] - 1 ELSE B[x]]
Restrict(B, P(_)) == [x \in {y \in DOMAIN B : P(y)} |-> B[x]]
EmptyBag == [x \in {} |-> 0]

TypeOK ==
    /\ execLog \in [Tasks -> Seq(ExecStates)]
    /\ \A t \in Tasks : Len(execLog[t]) <= MaxUpdates
    /\ execUnacked \in [Tasks -> SUBSET UUIDs]
    /\ stream \in [Tasks -> Seq(ExecStates)]
    /\ durable \in [Tasks -> Seq(ExecStates)]
    /\ ackd \in [Tasks -> Nat]
    /\ agentUp \in BOOLEAN
    /\ seen \in [Tasks -> Seq(UUIDs \X ExecStates)]
    /\ sacked \in [Tasks -> SUBSET UUIDs]
    /\ DOMAIN net \subseteq Msgs
    /\ \A m \in DOMAIN net : net[m] \in 1..MaxCopies
    /\ faults \in 0..MaxFaults
    /\ accepted \in [Tasks -> 0..MaxUpdates]

Init ==
    /\ execLog = [t \in Tasks |-> <<>>]
    /\ execUnacked = [t \in Tasks |-> {}]
    /\ stream = [t \in Tasks |-> <<>>]
    /\ durable = [t \in Tasks |-> <<>>]
    /\ ackd = [t \in Tasks |-> 0]
    /\ agentUp = TRUE
    /\ seen = [t \in Tasks |-> <<>>]
    /\ sacked = [t \in Tasks |-> {}]
    /\ net = EmptyBag
    /\ faults = 0
    /\ accepted = [t \in Tasks |-> 0]

-----------------------------------------------------------------------------
(* Executor                                                                 *)

\* The state the executor last reported for task t.
ExecState(t) == IF execLog[t] = <<>> THEN InitialState ELSE execLog[t][Len(execLog[t])]

\* The executor reports a new state s of task t (the first send of update uuid).
ExecutorUpdate(t, s) ==
    LET i == Len(execLog[t]) + 1 IN
    /\ Cardinality(execUnacked[t]) < ExecWindow
    /\ i <= MaxUpdates
    /\ s \in ExecStates
    /\ LegalStep(ExecState(t), s)
    /\ execLog' = [execLog EXCEPT ![t] = Append(@, s)]
    /\ execUnacked' = [execUnacked EXCEPT ![t] = @ \cup {i}]
    /\ net' = Send(net, Msg("update", t, i, s))
    /\ UNCHANGED <<stream, durable, ackd, agentUp, seen, sacked, faults, accepted>>

\* The executor re-sends unacked update i (retry timer).
ExecutorRetry(t, i) ==
    /\ i \in execUnacked[t]
    /\ net' = Send(net, Msg("update", t, i, execLog[t][i]))
    /\ net' # net
    /\ UNCHANGED <<execLog, execUnacked, stream, durable, ackd,
                   agentUp, seen, sacked, faults, accepted>>

\* The executor receives the agent's ack; a stale ack is ignored.
ExecutorReceiveAck(m) ==
    /\ m.type = "eack" /\ InNet(m)
    /\ net' = Remove(net, m)
    /\ execUnacked' = [execUnacked EXCEPT ![m.task] = @ \ {m.uuid}]
    /\ UNCHANGED <<execLog, stream, durable, ackd, agentUp, seen,
                   sacked, faults, accepted>>

-----------------------------------------------------------------------------
(* Agent status-update manager                                              *)

\* The agent receives an update; only the next uuid of the stream is appended
\* (a duplicate or an update beyond a gap is ignored).
AgentReceive(m) ==
    /\ m.type = "update" /\ InNet(m) /\ agentUp
    /\ net' = Remove(net, m)
    /\ stream' = IF m.uuid = Len(stream[m.task]) + 1
                 THEN [stream EXCEPT ![m.task] = Append(@, m.state)] ELSE stream
    /\ UNCHANGED <<execLog, execUnacked, durable, ackd, agentUp,
                   seen, sacked, faults, accepted>>

\* The agent checkpoints (fsyncs) task t's stream.
AgentPersist(t) ==
    /\ agentUp
    /\ durable[t] # stream[t]
    /\ durable' = [durable EXCEPT ![t] = stream[t]]
    /\ UNCHANGED <<execLog, execUnacked, stream, ackd, agentUp,
                   seen, sacked, net, faults, accepted>>

\* The agent acks update i to the executor (on receipt of a duplicate, or
\* after the checkpoint): i must be checkpointed (in the broken model it only
\* has to be received).
AgentAckExecutor(t, i) ==
    /\ agentUp
    /\ i \in 1..Len(IF AckBeforePersist THEN stream[t] ELSE durable[t])
    /\ net' = Send(net, Ack("eack", t, i))
    /\ net' # net
    /\ accepted' = [accepted EXCEPT ![t] = IF i > @ THEN i ELSE @]
    /\ UNCHANGED <<execLog, execUnacked, stream, durable, ackd,
                   agentUp, seen, sacked, faults>>

\* The agent (re-)forwards the head of task t's stream to the master.
AgentForward(t) ==
    LET i == ackd[t] + 1 IN
    /\ agentUp
    /\ i <= Len(durable[t])
    /\ net' = Send(net, Msg("fwd", t, i, durable[t][i]))
    /\ net' # net
    /\ UNCHANGED <<execLog, execUnacked, stream, durable, ackd,
                   agentUp, seen, sacked, faults, accepted>>

\* The agent receives the scheduler's ack: if it acks the head, the head is
\* checkpointed as acked and the next update becomes the head.
AgentReceiveAck(m) ==
    /\ m.type = "aack" /\ InNet(m) /\ agentUp
    /\ net' = Remove(net, m)
    /\ ackd' = IF m.uuid = ackd[m.task] + 1 /\ m.uuid <= Len(durable[m.task])
               THEN [ackd EXCEPT ![m.task] = m.uuid] ELSE ackd
    /\ UNCHANGED <<execLog, execUnacked, stream, durable, agentUp,
                   seen, sacked, faults, accepted>>

-----------------------------------------------------------------------------
(* Master relay and scheduler                                               *)

MasterForward(m) ==
    /\ m.type = "fwd" /\ InNet(m)
    /\ net' = Send(Remove(net, m), [m EXCEPT !.type = "relay"])
    /\ UNCHANGED <<execLog, execUnacked, stream, durable, ackd,
                   agentUp, seen, sacked, faults, accepted>>

MasterForwardAck(m) ==
    /\ m.type = "sack" /\ InNet(m)
    /\ net' = Send(Remove(net, m), [m EXCEPT !.type = "aack"])
    /\ UNCHANGED <<execLog, execUnacked, stream, durable, ackd,
                   agentUp, seen, sacked, faults, accepted>>

\* The scheduler receives an update and acks it (the driver's implicit
\* acknowledgement); a new uuid is recorded, duplicates are acked again.
SchedulerReceive(m) ==
    /\ m.type = "relay" /\ InNet(m)
    /\ net' = Send(Remove(net, m), Ack("sack", m.task, m.uuid))
    /\ seen' = IF \E j \in 1..Len(seen[m.task]) : seen[m.task][j][1] = m.uuid
               THEN seen
               ELSE [seen EXCEPT ![m.task] = Append(@, <<m.uuid, m.state>>)]
    /\ sacked' = [sacked EXCEPT ![m.task] = @ \cup {m.uuid}]
    /\ UNCHANGED <<execLog, execUnacked, stream, durable, ackd,
                   agentUp, faults, accepted>>

-----------------------------------------------------------------------------
(* Faults (bounded, no fairness)                                            *)

Drop(m) ==
    /\ faults < MaxFaults /\ InNet(m)
    /\ net' = Remove(net, m)
    /\ faults' = faults + 1
    /\ UNCHANGED <<execLog, execUnacked, stream, durable, ackd,
                   agentUp, seen, sacked, accepted>>

Duplicate(m) ==
    /\ faults < MaxFaults /\ InNet(m) /\ net[m] < MaxCopies
    /\ net' = Send(net, m)
    /\ faults' = faults + 1
    /\ UNCHANGED <<execLog, execUnacked, stream, durable, ackd,
                   agentUp, seen, sacked, accepted>>

\* The agent crashes: the unpersisted suffix of every stream is lost and the
\* connections to the agent are reset.
AgentCrash ==
    /\ faults < MaxFaults /\ agentUp
    /\ agentUp' = FALSE
    /\ stream' = durable
    /\ net' = Restrict(net, LAMBDA m : m.type \notin AgentLink)
    /\ faults' = faults + 1
    /\ UNCHANGED <<execLog, execUnacked, durable, ackd, seen,
                   sacked, accepted>>

\* The agent restarts and recovers its streams from the checkpoint (system
\* action: a crashed agent is restarted by its supervisor).
AgentRestart ==
    /\ ~agentUp
    /\ agentUp' = TRUE
    /\ UNCHANGED <<execLog, execUnacked, stream, durable, ackd,
                   seen, sacked, net, faults, accepted>>

\* The leading master fails over: all messages on master links are lost.
MasterFailover ==
    /\ faults < MaxFaults
    /\ net' = Restrict(net, LAMBDA m : m.type \notin MasterLink)
    /\ faults' = faults + 1
    /\ UNCHANGED <<execLog, execUnacked, stream, durable, ackd,
                   agentUp, seen, sacked, accepted>>

-----------------------------------------------------------------------------
\* Deliver one copy of m to its receiver.
Deliver(m) ==
    \/ ExecutorReceiveAck(m) \/ AgentReceive(m) \/ AgentReceiveAck(m)
    \/ MasterForward(m) \/ MasterForwardAck(m) \/ SchedulerReceive(m)

Fault ==
    \/ \E m \in DOMAIN net : Drop(m) \/ Duplicate(m)
    \/ AgentCrash
    \/ MasterFailover

Next ==
    \/ \E t \in Tasks :
        \/ \E s \in ExecStates : ExecutorUpdate(t, s)
        \/ \E i \in UUIDs : ExecutorRetry(t, i)
        \/ AgentPersist(t)
        \/ \E i \in UUIDs : AgentAckExecutor(t, i)
        \/ AgentForward(t)
    \/ \E m \in DOMAIN net : Deliver(m)
    \/ AgentRestart
    \/ Fault

\* Fairness only on system steps.  Delivery of each message class (type,
\* task, uuid) is strongly fair: a lossy link may disable it again and again
\* while faults last (WF is too weak, see ../shared/reference/FORMAL.md).
DeliverClass(ty, t, i) == \E m \in DOMAIN net :
    m.type = ty /\ m.task = t /\ m.uuid = i /\ Deliver(m)
Fairness ==
    /\ \A t \in Tasks :
        /\ \A i \in UUIDs : WF_vars(ExecutorRetry(t, i))
        /\ WF_vars(AgentPersist(t))
        /\ \A i \in UUIDs : WF_vars(AgentAckExecutor(t, i))
        /\ WF_vars(AgentForward(t))
        /\ \A ty \in MsgTypes, i \in UUIDs : SF_vars(DeliverClass(ty, t, i))
    /\ WF_vars(AgentRestart)

Spec == Init /\ [][Next]_vars /\ Fairness

-----------------------------------------------------------------------------
(* Properties (names shared with core/invariants.py)                        *)

\* Per task, the distinct updates the scheduler saw are a prefix of the
\* agent's checkpointed stream, in order, with no gaps.
UpdatesInOrder ==
    \A t \in Tasks :
        /\ Len(seen[t]) <= Len(durable[t])
        /\ \A j \in 1..Len(seen[t]) : seen[t][j] = <<j, durable[t][j]>>

\* An update the agent acked to the executor is never lost before the
\* scheduler acked it: it is in the checkpoint (which survives crashes).
NoLostAckedWork ==
    \A t \in Tasks : \A i \in 1..accepted[t] :
        i <= Len(durable[t]) \/ i \in sacked[t]

\* Every view of a task's history follows the lifecycle table.
LegalTaskTransitions ==
    \A t \in Tasks :
        /\ LegalChain(stream[t])
        /\ LegalChain(durable[t])
        /\ LegalChain([j \in 1..Len(seen[t]) |-> seen[t][j][2]])

\* Once faults stop, every update acked to the executor reaches the
\* scheduler, is acked, and the agent learns of the ack.
EventuallyAcked ==
    \A t \in Tasks : \A i \in UUIDs :
        (accepted[t] >= i) ~> (i \in sacked[t] /\ ackd[t] >= i)
=============================================================================
