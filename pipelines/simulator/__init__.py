"""A simulator of the bank's source systems, producing canonical events and a ground truth."""

from pipelines.simulator._bank import SimulatedBank, simulate_bank
from pipelines.simulator._fraud import Behaviour
from pipelines.simulator._people import Person, make_people

__all__ = ["Behaviour", "Person", "SimulatedBank", "make_people", "simulate_bank"]
