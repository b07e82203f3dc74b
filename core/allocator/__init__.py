"""The hierarchical DRF allocator (Mesos HierarchicalAllocatorProcess): machine.py is the entry (`Allocator.step`)."""
