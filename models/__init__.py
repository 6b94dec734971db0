"""Model layer: the Pyomo formulation, built from plain data.

    from models import build_model, prepare, MONEY_SCALE
"""

from models.data import MONEY_SCALE, ModelData, money_lines, prepare
from models.model import build_model

__all__ = ["build_model", "prepare", "ModelData", "MONEY_SCALE", "money_lines"]
