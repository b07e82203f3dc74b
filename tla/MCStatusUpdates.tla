-------------------------- MODULE MCStatusUpdates --------------------------
(* Model-checking wrapper for StatusUpdates: one task, two updates          *)
(* (RUNNING then FINISHED, or FINISHED at once), faults bounded.            *)
EXTENDS StatusUpdates

MCTasks == {"t1"}
MCExecStates == {"TASK_RUNNING", "TASK_FINISHED"}
=============================================================================
