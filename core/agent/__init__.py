"""The agent machine (Mesos src/slave/): machine.py is the entry (`Agent.step`); one module per concept."""
