----------------------------- MODULE Allocator -----------------------------
(***************************************************************************)
(* The Mesos master's offer cycle with a weighted-DRF allocator.           *)
(*                                                                         *)
(* Modelled:                                                               *)
(*  - agents with Cap identical resource units each, that leave (a fault:  *)
(*    their tasks and offers go away) and come back;                       *)
(*  - the allocator: it offers all free units of an agent to the eligible  *)
(*    framework with the lowest weighted dominant share (offered units     *)
(*    count as allocated, as in the Mesos sorter); a framework is eligible *)
(*    on an agent unless it has an unexpired decline filter there;         *)
(*  - frameworks: accept part of an offer (launching tasks on the units),  *)
(*    decline it (installing a filter for FilterTicks ticks), tasks finish;*)
(*  - the master rescinding an outstanding offer (offer timeout);          *)
(*  - abstract time: Tick decrements every active filter.                  *)
(*                                                                         *)
(* Not modelled: several resource kinds (with one kind the dominant share  *)
(* is the share; DRF with several kinds only changes Usage), roles and     *)
(* quotas, suppress/revive, reservations, minimum allocatable resources,  *)
(* the master/allocator message queue (MESOS-10023).                       *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS
    Frameworks,   \* framework ids (all with unbounded demand)
    Agents,       \* agent ids
    Cap,          \* resource units per agent (units are 1..Cap)
    Weight,       \* [Frameworks -> positive Nat]: DRF weight of each framework
    FilterTicks,  \* duration of a decline filter, in ticks
    MaxFaults,    \* fault budget: agent removals + offer rescinds
    DoubleOffer,  \* TRUE only in a broken model: the allocator forgets
                  \* outstanding offers when computing free units
    NeverExpire   \* TRUE only in a broken model: decline filters never expire

Units == 1..Cap
None == [f |-> "none"]   \* lastPick before the first allocation

VARIABLES
    up,        \* set of agents currently registered
    offers,    \* set of outstanding offers [f, a, units]
    alloc,     \* [Frameworks -> [Agents -> SUBSET Units]]: units used by tasks
    filter,    \* [Frameworks -> [Agents -> 0..FilterTicks]]: remaining ticks
    lastPick,  \* the last allocation [f, drf] (or None): f drives the tie rotation,
               \* drf (ghost) records whether f had the lowest weighted share
               \* among the eligible frameworks when it was picked
    faults     \* number of faults so far

vars == <<up, offers, alloc, filter, lastPick, faults>>

Offer == [f : Frameworks, a : Agents, units : SUBSET Units]
OffersOn(a) == {o \in offers : o.a = a}
\* units of framework f: used by its tasks or offered to it, as <<agent, unit>>
Holds(f) ==
    {<<a, u>> \in Agents \X Units : u \in alloc[f][a]}
    \cup UNION {{<<o.a, u>> : u \in o.units} : o \in {p \in offers : p.f = f}}
Usage(f) == Cardinality(Holds(f))
\* weighted share of f <= that of g, i.e. Usage(f)/Weight[f] <= Usage(g)/Weight[g]
ShareLE(uf, wf, ug, wg) == uf * wg <= ug * wf

Used(a) == UNION {alloc[f][a] : f \in Frameworks}
Free(a) ==
    Units \ (Used(a) \cup (IF DoubleOffer THEN {} ELSE UNION {o.units : o \in OffersOn(a)}))
Eligible(a) == {f \in Frameworks : filter[f][a] = 0}

TypeOK ==
    /\ up \subseteq Agents
    /\ offers \subseteq Offer
    /\ alloc \in [Frameworks -> [Agents -> SUBSET Units]]
    /\ filter \in [Frameworks -> [Agents -> 0..FilterTicks]]
    /\ lastPick \in {None} \cup [f : Frameworks, drf : BOOLEAN]
    /\ faults \in 0..MaxFaults

Init ==
    /\ up = Agents
    /\ offers = {}
    /\ alloc = [f \in Frameworks |-> [a \in Agents |-> {}]]
    /\ filter = [f \in Frameworks |-> [a \in Agents |-> 0]]
    /\ lastPick = None
    /\ faults = 0

-----------------------------------------------------------------------------
\* The eligible frameworks of lowest weighted share on agent a.
Lowest(a) == {f \in Eligible(a) :
                \A g \in Eligible(a) : ShareLE(Usage(f), Weight[f], Usage(g), Weight[g])}
\* Ties rotate: the framework picked last is passed over if another one ties
\* with it (a fixed tie-break order starves the loser under churn).
Candidates(a) == IF Lowest(a) \ {lastPick.f} # {} THEN Lowest(a) \ {lastPick.f}
                 ELSE Lowest(a)

\* The allocator offers all free units of agent a to the eligible framework
\* with the lowest weighted share.
Allocate(a) ==
    /\ a \in up
    /\ Free(a) # {}
    /\ \E f \in Candidates(a) :
        /\ offers' = offers \cup {[f |-> f, a |-> a, units |-> Free(a)]}
        /\ lastPick' = [f |-> f,
                        drf |-> \A g \in Eligible(a) :
                                  ShareLE(Usage(f), Weight[f], Usage(g), Weight[g])]
    /\ UNCHANGED <<up, alloc, filter, faults>>

\* The framework accepts offer o, launching tasks on the units S; the rest of
\* the offer goes back to the pool.
Accept(o, S) ==
    /\ o \in offers
    /\ S # {} /\ S \subseteq o.units
    /\ offers' = offers \ {o}
    /\ alloc' = [alloc EXCEPT ![o.f][o.a] = @ \cup S]
    /\ UNCHANGED <<up, filter, lastPick, faults>>

\* The framework declines offer o with a filter (refuse_seconds > 0).
Decline(o) ==
    /\ o \in offers
    /\ offers' = offers \ {o}
    /\ filter' = [filter EXCEPT ![o.f][o.a] = FilterTicks]
    /\ UNCHANGED <<up, alloc, lastPick, faults>>

Respond(o) == Decline(o) \/ \E S \in SUBSET o.units : Accept(o, S)

\* The master rescinds an outstanding offer (offer timeout): environment
\* interference, counted against the fault budget.
Rescind(o) ==
    /\ faults < MaxFaults /\ o \in offers
    /\ offers' = offers \ {o}
    /\ faults' = faults + 1
    /\ UNCHANGED <<up, alloc, filter, lastPick>>

\* A task of framework f on agent a finishes; its unit is free again.
TaskFinish(f, a, u) ==
    /\ u \in alloc[f][a]
    /\ alloc' = [alloc EXCEPT ![f][a] = @ \ {u}]
    /\ UNCHANGED <<up, offers, filter, lastPick, faults>>

\* Abstract time passes: every active filter gets one tick closer to expiry.
Tick ==
    /\ \E f \in Frameworks, a \in Agents : filter[f][a] > 0
    /\ ~NeverExpire
    /\ filter' = [f \in Frameworks |-> [a \in Agents |->
                    IF filter[f][a] > 0 THEN filter[f][a] - 1 ELSE 0]]
    /\ UNCHANGED <<up, offers, alloc, lastPick, faults>>

\* Fault: agent a is removed; its tasks are lost and its offers rescinded.
AgentRemove(a) ==
    /\ faults < MaxFaults /\ a \in up
    /\ up' = up \ {a}
    /\ offers' = offers \ OffersOn(a)
    /\ alloc' = [f \in Frameworks |-> [alloc[f] EXCEPT ![a] = {}]]
    /\ faults' = faults + 1
    /\ UNCHANGED <<filter, lastPick>>

\* Agent a (re-)registers with all its units free.
AgentAdd(a) ==
    /\ a \notin up
    /\ up' = up \cup {a}
    /\ UNCHANGED <<offers, alloc, filter, lastPick, faults>>

Next ==
    \/ \E a \in Agents : Allocate(a) \/ AgentRemove(a) \/ AgentAdd(a)
    \/ \E o \in offers : Respond(o) \/ Rescind(o)
    \/ \E f \in Frameworks, a \in Agents, u \in Units : TaskFinish(f, a, u)
    \/ Tick

\* Fairness on system steps only: the allocator runs, time passes, agents come
\* back, tasks finish, and each framework answers its offers.  Rescinds and
\* agent removals get none.
Fairness ==
    /\ \A a \in Agents : WF_vars(Allocate(a)) /\ WF_vars(AgentAdd(a))
    /\ WF_vars(Tick)
    /\ \A f \in Frameworks :
        /\ WF_vars(\E o \in offers : o.f = f /\ Respond(o))
        /\ WF_vars(\E a \in Agents, u \in Units : TaskFinish(f, a, u))

Spec == Init /\ [][Next]_vars /\ Fairness

-----------------------------------------------------------------------------
(* Properties (names shared with core/invariants.py)                        *)

\* On every agent, units offered + units used by tasks <= total (counting a
\* unit once per offer or framework holding it).
NoOvercommit ==
    \A a \in Agents :
        Cardinality({<<o, u>> \in OffersOn(a) \X Units : u \in o.units})
        + Cardinality({<<f, u>> \in Frameworks \X Units : u \in alloc[f][a]})
        <= Cap

\* No unit is in two outstanding offers, nor in an offer and used by a task.
OfferExclusive ==
    \A o1, o2 \in offers :
        /\ (o1 # o2 /\ o1.a = o2.a) => o1.units \cap o2.units = {}
        /\ o1.units \cap Used(o1.a) = {}

\* Each allocation went to an eligible framework of lowest weighted share
\* (evaluated by Allocate on the state in which it allocated).
DrfOrder == lastPick # None => lastPick.drf

\* No starvation: every framework is offered resources again and again.
EventuallyOffered ==
    \A f \in Frameworks : []<>(\E o \in offers : o.f = f)
=============================================================================
