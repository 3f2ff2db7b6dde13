"""Churn risk and customer health: models on gap indicators judged on held-out customers, reasons in
words, revenue at risk per segment, and a transparent health score calibrated against churn."""

from __future__ import annotations

from cxgap.churn.data import ChurnData, ChurnMapping, load_churn_mapping, read_churn_file, store_features
from cxgap.churn.explain import RevenueAtRisk
from cxgap.churn.model import ModelScore
from cxgap.churn.schemas import HealthPoint, RiskReport, SegmentHealth
from cxgap.churn.service import file_risk, store_risk
from cxgap.churn.slice import risk_of_slice, slice_customers, slice_risk
from cxgap.churn.survival import SurvivalModel
from cxgap.churn.threads import limited_threads

__all__ = [
    "ChurnData",
    "ChurnMapping",
    "HealthPoint",
    "ModelScore",
    "RevenueAtRisk",
    "RiskReport",
    "SegmentHealth",
    "SurvivalModel",
    "file_risk",
    "limited_threads",
    "load_churn_mapping",
    "read_churn_file",
    "risk_of_slice",
    "slice_customers",
    "slice_risk",
    "store_features",
    "store_risk",
]
