------------------------- MODULE MCMasterFailover --------------------------
(* Model-checking wrapper for MasterFailover.                               *)
EXTENDS MasterFailover, TLC

MasterSymmetry == Permutations(Masters)
=============================================================================
