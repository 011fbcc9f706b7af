"""The admin CLI's commands (cliff, namespace ``pratai_bridge.manage``)."""

__all__: list[str] = []
