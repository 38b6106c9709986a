"""`supportbot demo`: the real app wired to the simulators, telling one story with one clock."""
