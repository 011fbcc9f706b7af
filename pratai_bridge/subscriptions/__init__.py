"""Subscriptions: which function runs for which events (YAML files)."""

from pratai_bridge.subscriptions.model import Delivery
from pratai_bridge.subscriptions.model import Problem
from pratai_bridge.subscriptions.model import Subscription

__all__ = ['Delivery', 'Problem', 'Subscription']
