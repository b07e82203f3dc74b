"""The master machine (Mesos src/master/): machine.py is the entry (`Master.step`); one module per concept."""
