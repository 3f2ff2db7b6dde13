"""The demo company: a simulated telecom provider with planted, documented ground truth (see truth.py)."""

from __future__ import annotations

from cxgap.demo.company import DemoData, simulate, write_demo
from cxgap.demo.truth import TRUTH, PlantedTruth

__all__ = ["TRUTH", "DemoData", "PlantedTruth", "simulate", "write_demo"]
