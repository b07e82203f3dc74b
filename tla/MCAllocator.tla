---------------------------- MODULE MCAllocator ----------------------------
(* Model-checking wrapper for Allocator: two frameworks of weights 1 and 2. *)
EXTENDS Allocator

MCFrameworks == {"f1", "f2"}
MCWeight == [f \in MCFrameworks |-> IF f = "f1" THEN 1 ELSE 2]
=============================================================================
