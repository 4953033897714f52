"""A simulator of the bank's source systems, producing canonical events and a ground truth, and a
synthetic Customer 360 load (:func:`synthetic_stream`) with its event builders."""

from pipelines.simulator._bank import SimulatedBank, simulate_bank
from pipelines.simulator._c360_load import STREAM_START, assigned, fraud, login, risk, synthetic_stream, txn
from pipelines.simulator._fraud import Behaviour
from pipelines.simulator._people import Person, make_people

__all__ = [
    "STREAM_START",
    "Behaviour",
    "Person",
    "SimulatedBank",
    "assigned",
    "fraud",
    "login",
    "make_people",
    "risk",
    "simulate_bank",
    "synthetic_stream",
    "txn",
]
