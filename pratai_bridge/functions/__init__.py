"""Functions: packages (zips), where they are kept, and their images."""

from pratai_bridge.functions.model import Function
from pratai_bridge.functions.model import FunctionSpec

__all__ = ['Function', 'FunctionSpec']
